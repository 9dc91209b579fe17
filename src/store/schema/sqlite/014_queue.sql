-- deskmail schema version 14 (SQLite): indexes for the web queue (issue 21).
-- The queue lists issues by last activity or creation, newest first, and
-- usually with a state (open by default) or an assignee ("me"): with these
-- the rows it lists are read in order from the first that matches, instead
-- of every issue of that state or assignee being read and sorted, and the
-- capped count (up to 1 001 rows a page view) reads the index alone. On
-- 1 000 000 issues (tests/bench/web_bench.py, SQLite): an assignee with
-- 200 000 of them, 2.3 s a page before, 1 ms after; open issues that are
-- old and sparse, 26 ms before, 0.1 ms after; the count of the open queue,
-- a median of 44 ms before, 0.7 ms after.
CREATE INDEX issue_state_updated ON issue (state, updated_at, project_id, spam);
CREATE INDEX issue_state_created ON issue (state, created_at, project_id, spam);
CREATE INDEX issue_assignee_updated ON issue (assignee, updated_at, state, project_id, spam);
CREATE INDEX issue_assignee_created ON issue (assignee, created_at, state, project_id, spam);
