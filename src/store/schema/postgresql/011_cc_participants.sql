-- 011: Cc participants (issue 23). A project may let the addresses in Cc of
-- a new issue become its participants; mails to them, like confirmations, go
-- to addresses a sender chose and count toward the per-desk hourly cap
-- (limits.confirmations_per_hour), hence outbox.unsolicited.
ALTER TABLE project ADD COLUMN cc_participants BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN unsolicited BIGINT NOT NULL DEFAULT 0;
UPDATE outbox SET unsolicited = 1 WHERE kind = 'thank_you';
CREATE INDEX outbox_unsolicited ON outbox (unsolicited, created_at);
