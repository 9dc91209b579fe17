-- 013: metrics for the admins' Prometheus (issue 21, deskmail-web(8)
-- METRICS). deskmaild counts deliveries and times its store in memory and
-- adds what changed to its own rows here every few seconds and at shutdown,
-- outside any delivery's transaction; deskmail-web sums the rows of every
-- instance on a scrape. One row per (instance, sample name, label set):
-- each deskmaild writes only its own rows, so instances sharing a database
-- never wait for each other here. `labels` is the OpenMetrics label set as
-- written between the braces, e.g. result="issue",class="2xx"; a value is
-- a count (a time sum in microseconds).
CREATE TABLE metric_counter (
  instance TEXT NOT NULL,
  name TEXT NOT NULL,
  labels TEXT NOT NULL,
  value BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (instance, name, labels)
);
-- A scrape's gauges: the unsent mail per state with its oldest, and the
-- open issues per project, each read from an index alone.
CREATE INDEX outbox_state_created ON outbox (state, created_at);
CREATE INDEX issue_project_state ON issue (project_id, state, spam);
