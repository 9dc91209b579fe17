-- deskmail schema version 1 (SQLite). Integer columns are BIGINT; ids are
-- INTEGER PRIMARY KEY (the rowid). Times are Unix seconds (UTC).
CREATE TABLE schema_version (version BIGINT NOT NULL);
CREATE TABLE project (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  project_key TEXT NOT NULL UNIQUE,
  enabled BIGINT NOT NULL DEFAULT 1,
  last_iid BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE project_alias (
  address TEXT PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE
);
CREATE TABLE raw_message (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  mail_from TEXT NOT NULL,
  size BIGINT NOT NULL,
  content BLOB NOT NULL,
  received_at BIGINT NOT NULL
);
CREATE TABLE issue (
  id INTEGER PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES project(id),
  iid BIGINT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'opened',
  confidential BIGINT NOT NULL DEFAULT 1,
  spam BIGINT NOT NULL DEFAULT 0,
  author_email TEXT NOT NULL,
  author_name TEXT NOT NULL,
  message_id TEXT NOT NULL,
  raw_message_id BIGINT REFERENCES raw_message(id),
  problems TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (project_id, iid)
);
CREATE TABLE participant (
  id INTEGER PRIMARY KEY,
  issue_id BIGINT NOT NULL REFERENCES issue(id),
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  reply_key TEXT NOT NULL UNIQUE,
  subscribed BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  UNIQUE (issue_id, email)
);
CREATE TABLE note (
  id INTEGER PRIMARY KEY,
  issue_id BIGINT NOT NULL REFERENCES issue(id),
  author_kind TEXT NOT NULL,
  author TEXT NOT NULL,
  participant_id BIGINT REFERENCES participant(id),
  body TEXT NOT NULL,
  internal BIGINT NOT NULL DEFAULT 0,
  message_id TEXT NOT NULL,
  raw_message_id BIGINT REFERENCES raw_message(id),
  problems TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX note_issue ON note (issue_id);
CREATE TABLE attachment (
  id INTEGER PRIMARY KEY,
  issue_id BIGINT NOT NULL REFERENCES issue(id),
  note_id BIGINT REFERENCES note(id),
  filename_sent TEXT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  content BLOB NOT NULL
);
CREATE INDEX attachment_issue ON attachment (issue_id);
CREATE TABLE dedupe (
  scope TEXT NOT NULL,
  dkey TEXT NOT NULL,
  ref TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (scope, dkey)
);
CREATE TABLE message_ref (
  message_id TEXT NOT NULL,
  issue_id BIGINT NOT NULL REFERENCES issue(id),
  PRIMARY KEY (message_id, issue_id)
);
