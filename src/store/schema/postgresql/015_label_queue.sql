-- deskmail schema version 15 (PostgreSQL): a label's issues in queue order
-- (issue 21). issue_label carries a copy of what the queue sorts and
-- filters its issues by (updated_at, created_at, state, spam, assignee), so
-- that a queue page with a label walks the label's own index in sort order,
-- testing state, spam and assignee on the index alone, and stops at the
-- page's end. The copies are kept by the triggers below in the transaction
-- of every change, by whichever program makes it. (A function body holds
-- no line ending in a semicolon: schema.cc splits the script there.)
ALTER TABLE issue_label ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE issue_label ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE issue_label ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE issue_label ADD COLUMN spam BIGINT NOT NULL DEFAULT 0;
ALTER TABLE issue_label ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
UPDATE issue_label il SET updated_at = i.updated_at, created_at = i.created_at, state = i.state,
  spam = i.spam, assignee = i.assignee FROM issue i WHERE i.id = il.issue_id;
CREATE INDEX issue_label_updated ON issue_label (label_id, updated_at, issue_id, state, spam,
  assignee);
CREATE INDEX issue_label_created ON issue_label (label_id, created_at, issue_id, state, spam,
  assignee);
-- A label put on an issue takes the issue's values.
CREATE FUNCTION issue_label_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT i.updated_at, i.created_at, i.state, i.spam, i.assignee
    INTO NEW.updated_at, NEW.created_at, NEW.state, NEW.spam, NEW.assignee
    FROM issue i WHERE i.id = NEW.issue_id; RETURN NEW; END $$;
CREATE TRIGGER issue_label_copy BEFORE INSERT ON issue_label
  FOR EACH ROW EXECUTE FUNCTION issue_label_copy();
-- A change to an issue reaches its labels' rows.
CREATE FUNCTION issue_label_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE issue_label SET updated_at = NEW.updated_at, created_at = NEW.created_at,
    state = NEW.state, spam = NEW.spam, assignee = NEW.assignee
    WHERE issue_id = NEW.id; RETURN NULL; END $$;
CREATE TRIGGER issue_label_follow AFTER UPDATE OF updated_at, created_at, state, spam, assignee
  ON issue FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at OR
    OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.state IS DISTINCT FROM NEW.state OR
    OLD.spam IS DISTINCT FROM NEW.spam OR OLD.assignee IS DISTINCT FROM NEW.assignee)
  EXECUTE FUNCTION issue_label_follow();
