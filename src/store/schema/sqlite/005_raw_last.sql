-- deskmail schema version 5 (SQLite): raw_message.content becomes the last
-- column. SQLite keeps a zeroblob unexpanded only in the last column of a
-- row; a large message is then written into it in pieces, not copied whole
-- into the row first (issue 7). The table is rebuilt with the same ids
-- (foreign keys are switched off around this migration and checked after).
CREATE TABLE raw_message_new (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  mail_from TEXT NOT NULL,
  size BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  content BLOB NOT NULL
);
INSERT INTO raw_message_new (id, sha256, mail_from, size, received_at, content)
  SELECT id, sha256, mail_from, size, received_at, content FROM raw_message;
DROP TABLE raw_message;
ALTER TABLE raw_message_new RENAME TO raw_message;
