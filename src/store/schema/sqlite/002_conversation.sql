-- deskmail schema version 2 (SQLite): the conversation. Project settings,
-- members and templates; trimmed and full note text; the transactional outbox.
ALTER TABLE project ADD COLUMN confirmation BIGINT NOT NULL DEFAULT 1;
ALTER TABLE project ADD COLUMN notify_members BIGINT NOT NULL DEFAULT 0;
ALTER TABLE project ADD COLUMN reopen_on_reply BIGINT NOT NULL DEFAULT 1;
CREATE TABLE project_member (
  project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  PRIMARY KEY (project_id, email)
);
CREATE TABLE project_template (
  project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (project_id, kind)
);
ALTER TABLE note ADD COLUMN full_body TEXT NOT NULL DEFAULT '';
ALTER TABLE issue ADD COLUMN closed_at BIGINT;
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  issue_id BIGINT REFERENCES issue(id),
  recipient TEXT NOT NULL,
  mail_from TEXT NOT NULL,
  subject TEXT NOT NULL,
  message_id TEXT NOT NULL,
  content BLOB NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
