-- deskmail schema version 4 (PostgreSQL): outbox claims. A dispatcher claims a
-- due mail by moving next_attempt_at past the send (a lease) and naming
-- itself; a restarted instance releases its own claims at once, another
-- instance takes them over when the lease runs out.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
