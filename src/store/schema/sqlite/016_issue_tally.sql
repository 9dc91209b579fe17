-- deskmail schema version 16 (SQLite): the issues of each project counted
-- by state and spam flag, kept by triggers in the transaction of every
-- change to an issue (issue 21). The web queue's count of a filter by
-- project and state alone (its first page, and every page after it) was
-- a capped count(*) of up to 1 001 index entries each time: 38 % of the
-- queue page's CPU (perf, 100 000 issues). Now it is a sum of a few rows.
-- Filters by assignee, label or words are still counted up to the cap.
-- Rows are never removed (a count of 0 stays); a project's go with it.
-- A trigger's statements are on one line: schema scripts are split at a
-- semicolon that ends a line.
CREATE TABLE issue_tally (
  project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  spam BIGINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (project_id, state, spam)
);
INSERT INTO issue_tally (project_id, state, spam, n)
  SELECT project_id, state, spam, count(*) FROM issue GROUP BY project_id, state, spam;
CREATE TRIGGER issue_tally_insert AFTER INSERT ON issue BEGIN INSERT INTO issue_tally (project_id, state, spam, n) VALUES (new.project_id, new.state, new.spam, 1) ON CONFLICT (project_id, state, spam) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER issue_tally_update AFTER UPDATE OF project_id, state, spam ON issue WHEN old.project_id IS NOT new.project_id OR old.state IS NOT new.state OR old.spam IS NOT new.spam BEGIN UPDATE issue_tally SET n = n - 1 WHERE project_id = old.project_id AND state = old.state AND spam = old.spam; INSERT INTO issue_tally (project_id, state, spam, n) VALUES (new.project_id, new.state, new.spam, 1) ON CONFLICT (project_id, state, spam) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER issue_tally_delete AFTER DELETE ON issue BEGIN UPDATE issue_tally SET n = n - 1 WHERE project_id = old.project_id AND state = old.state AND spam = old.spam; END;
