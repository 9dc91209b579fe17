-- deskmail schema version 3 (PostgreSQL): hostile mail. Spam-flagged notes,
-- issues that must never be answered, bouncing participants, and the
-- indexes the per-sender rate limits need.
ALTER TABLE issue ADD COLUMN never_answer BIGINT NOT NULL DEFAULT 0;
ALTER TABLE issue ADD COLUMN spam_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE note ADD COLUMN spam BIGINT NOT NULL DEFAULT 0;
ALTER TABLE participant ADD COLUMN bouncing BIGINT NOT NULL DEFAULT 0;
ALTER TABLE participant ADD COLUMN bounces BIGINT NOT NULL DEFAULT 0;
CREATE INDEX issue_author ON issue (author_email, created_at);
CREATE INDEX outbox_recipient ON outbox (recipient, kind, created_at);
