-- 012: the web desk (issue 21). Sign-in links mailed to project members and
-- the sessions they open, kept in the database so that several deskmail-web
-- instances on one PostgreSQL share them. Only SHA-256 hashes of the tokens
-- are stored: a copy of the database signs nobody in. Every request for a
-- link is a row (mailed or not: a non-member's too), so the rate limits per
-- address and per client count them all.
CREATE TABLE web_link (
  token_hash TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  client TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX web_link_email ON web_link (email, created_at);
CREATE INDEX web_link_client ON web_link (client, created_at);
CREATE TABLE web_session (
  token_hash TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX web_session_expires ON web_session (expires_at);
