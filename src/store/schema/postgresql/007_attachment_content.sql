-- deskmail schema version 7 (PostgreSQL): an attachment's bytes are stored
-- once, by their SHA-256, whichever issues and notes hold it (see the SQLite
-- file).
CREATE TABLE attachment_content (
  sha256 TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  content BYTEA NOT NULL
);
INSERT INTO attachment_content (sha256, size, content)
  SELECT DISTINCT ON (sha256) sha256, size, content FROM attachment ORDER BY sha256, id;
ALTER TABLE attachment DROP COLUMN content;
ALTER TABLE attachment ADD FOREIGN KEY (sha256) REFERENCES attachment_content (sha256);
CREATE INDEX attachment_sha256 ON attachment (sha256);
