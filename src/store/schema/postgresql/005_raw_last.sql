-- deskmail schema version 5 (PostgreSQL): nothing changes here. SQLite's
-- raw_message is rebuilt with its content last (see the SQLite file); the
-- version numbers of the two dialects stay the same.
COMMENT ON COLUMN raw_message.content IS 'the message as received';
