-- deskmail schema version 10 (SQLite): closed by the fix (issue 22).
-- fix_hook binds a repository (a bare repository's path, or a forge's
-- project URL) to a project whose issues its commits may close; fix_commit
-- remembers each (commit, issue) acted on, so a commit pushed again, to
-- another branch or after a force-push, acts once; hook_delivery remembers
-- the webhook deliveries a binding has seen (replays act once).
ALTER TABLE project ADD COLUMN disclose_fixes BIGINT NOT NULL DEFAULT 0;
CREATE TABLE fix_hook (
  id INTEGER PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  forge TEXT NOT NULL,
  repo TEXT NOT NULL,
  branch TEXT NOT NULL,
  commit_url TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (project_id, forge, repo)
);
CREATE INDEX fix_hook_repo ON fix_hook (forge, repo);
CREATE TABLE fix_commit (
  commit_sha TEXT NOT NULL,
  issue_id BIGINT NOT NULL REFERENCES issue(id) ON DELETE CASCADE,
  action TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (commit_sha, issue_id)
);
CREATE TABLE hook_delivery (
  hook_id BIGINT NOT NULL REFERENCES fix_hook(id) ON DELETE CASCADE,
  delivery TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (hook_id, delivery)
);
