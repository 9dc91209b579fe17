-- 006: who the site vouches for (issue 18). A note whose author the site did
-- not prove (no trusted Authentication-Results for a member's key, or a
-- customer's mail without it) is marked; the per-desk hourly cap on
-- confirmations counts the outbox by kind and time.
ALTER TABLE note ADD COLUMN verified BIGINT NOT NULL DEFAULT 1;
CREATE INDEX outbox_kind_created ON outbox (kind, created_at);
