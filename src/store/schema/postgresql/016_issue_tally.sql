-- deskmail schema version 16 (PostgreSQL): the issues of each project
-- counted by state and spam flag, kept by triggers in the transaction of
-- every change to an issue (see the SQLite script for why). Issues of one
-- project are already created one at a time (the project row's last_iid),
-- so the tally row adds no wait there. The triggers run once per statement
-- over its transition tables, not once per row: every row version of a
-- tally row updated again in the same transaction stays until it ends, and
-- 200 000 issues inserted by one statement took minutes a row at a time.
-- (deskmail db copy, a row per statement, rebuilds the tally at its end
-- with the insert trigger off.) The function's statements are on one line:
-- schema scripts are split at a semicolon that ends a line.
CREATE TABLE issue_tally (
  project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  spam BIGINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (project_id, state, spam)
);
INSERT INTO issue_tally (project_id, state, spam, n)
  SELECT project_id, state, spam, count(*) FROM issue GROUP BY project_id, state, spam;
CREATE FUNCTION issue_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN INSERT INTO issue_tally (project_id, state, spam, n) SELECT project_id, state, spam, count(*) FROM new_rows GROUP BY project_id, state, spam ON CONFLICT (project_id, state, spam) DO UPDATE SET n = issue_tally.n + EXCLUDED.n; ELSIF TG_OP = 'DELETE' THEN UPDATE issue_tally t SET n = t.n - d.c FROM (SELECT project_id, state, spam, count(*) AS c FROM old_rows GROUP BY project_id, state, spam) d WHERE t.project_id = d.project_id AND t.state = d.state AND t.spam = d.spam; ELSE INSERT INTO issue_tally (project_id, state, spam, n) SELECT project_id, state, spam, sum(c) FROM (SELECT project_id, state, spam, 1 AS c FROM new_rows UNION ALL SELECT project_id, state, spam, -1 FROM old_rows) x GROUP BY project_id, state, spam HAVING sum(c) <> 0 ON CONFLICT (project_id, state, spam) DO UPDATE SET n = issue_tally.n + EXCLUDED.n; END IF; RETURN NULL; END $$;
CREATE TRIGGER issue_tally_insert AFTER INSERT ON issue REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION issue_tally_change();
CREATE TRIGGER issue_tally_update AFTER UPDATE ON issue REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION issue_tally_change();
CREATE TRIGGER issue_tally_delete AFTER DELETE ON issue REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION issue_tally_change();
