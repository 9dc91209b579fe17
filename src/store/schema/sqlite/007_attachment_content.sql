-- deskmail schema version 7 (SQLite): an attachment's bytes are stored once,
-- by their SHA-256, whichever issues and notes hold it (issue 18: one 22 MiB
-- message to five reply keys had stored its attachments five times). The
-- attachment rows keep the name, type and size each issue shows; the table
-- is rebuilt without its content column, with the same ids.
CREATE TABLE attachment_content (
  sha256 TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  content BLOB NOT NULL
);
INSERT INTO attachment_content (sha256, size, content)
  SELECT sha256, size, content FROM attachment WHERE true ON CONFLICT (sha256) DO NOTHING;
CREATE TABLE attachment_new (
  id INTEGER PRIMARY KEY,
  issue_id BIGINT NOT NULL REFERENCES issue(id),
  note_id BIGINT REFERENCES note(id),
  filename_sent TEXT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL REFERENCES attachment_content(sha256)
);
INSERT INTO attachment_new (id, issue_id, note_id, filename_sent, filename, content_type, size, sha256)
  SELECT id, issue_id, note_id, filename_sent, filename, content_type, size, sha256 FROM attachment;
DROP TABLE attachment;
ALTER TABLE attachment_new RENAME TO attachment;
CREATE INDEX attachment_issue ON attachment (issue_id);
CREATE INDEX attachment_sha256 ON attachment (sha256);
