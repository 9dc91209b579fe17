-- deskmail schema version 16 (PostgreSQL): the issues of each project
-- counted by state and spam flag, kept by a trigger in the transaction of
-- every change to an issue (see the SQLite script for why). Issues of one
-- project are already created one at a time (the project row's last_iid),
-- so the tally row adds no wait there. The function's statements are on
-- one line: schema scripts are split at a semicolon that ends a line.
CREATE TABLE issue_tally (
  project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  spam BIGINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (project_id, state, spam)
);
INSERT INTO issue_tally (project_id, state, spam, n)
  SELECT project_id, state, spam, count(*) FROM issue GROUP BY project_id, state, spam;
CREATE FUNCTION issue_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP IN ('UPDATE', 'DELETE') THEN UPDATE issue_tally SET n = n - 1 WHERE project_id = OLD.project_id AND state = OLD.state AND spam = OLD.spam; END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO issue_tally (project_id, state, spam, n) VALUES (NEW.project_id, NEW.state, NEW.spam, 1) ON CONFLICT (project_id, state, spam) DO UPDATE SET n = issue_tally.n + 1; END IF; RETURN NULL; END $$;
CREATE TRIGGER issue_tally_insert_delete AFTER INSERT OR DELETE ON issue FOR EACH ROW EXECUTE FUNCTION issue_tally_change();
CREATE TRIGGER issue_tally_update AFTER UPDATE OF project_id, state, spam ON issue FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id OR OLD.state IS DISTINCT FROM NEW.state OR OLD.spam IS DISTINCT FROM NEW.spam) EXECUTE FUNCTION issue_tally_change();
