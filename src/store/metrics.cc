// metrics.cc: what /metrics reads and deskmaild's counters (schema 013).
// Each query reads an index only: a scrape costs the same on a desk of a
// million issues as on a new one, give or take the open issues and the
// unsent mail it counts.
#include "store/sql_repos.h"

namespace store {

void SqlMetrics::add(const std::string& instance_in, const std::vector<MetricCount>& deltas,
                     std::int64_t at) {
  std::string instance = clean_text(instance_in), name, labels;
  long long value = 0, t = at;
  for (const auto& d : deltas) {
    name = d.name;
    labels = d.labels;
    value = d.value;
    db_.run(
        "INSERT INTO metric_counter (instance, name, labels, value, updated_at) "
        "VALUES (:i, :n, :l, :v, :t) ON CONFLICT (instance, name, labels) DO UPDATE SET "
        "value = metric_counter.value + excluded.value, updated_at = excluded.updated_at",
        soci::use(instance), soci::use(name), soci::use(labels), soci::use(value), soci::use(t));
  }
}

std::vector<MetricCount> SqlMetrics::counters() {
  std::vector<MetricCount> out;
  MetricCount c;
  long long value = 0;
  // PostgreSQL's sum() of a BIGINT is a NUMERIC: cast back.
  db_.each(
      "SELECT name, labels, CAST(sum(value) AS BIGINT) FROM metric_counter "
      "GROUP BY name, labels ORDER BY name, labels",
      [&] {
        c.value = value;
        out.push_back(c);
      },
      soci::into(c.name), soci::into(c.labels), soci::into(value));
  return out;
}

std::vector<OutboxDepth> SqlMetrics::outbox_depth() {
  std::vector<OutboxDepth> out;
  for (const char* state : {"pending", "failed"}) {
    std::string s = state;
    long long n = 0, oldest = 0;
    db_.run("SELECT count(*), COALESCE(min(created_at), 0) FROM outbox WHERE state = :s",
            soci::into(n), soci::into(oldest), soci::use(s));
    out.push_back({s, n, oldest});
  }
  return out;
}

std::vector<ProjectIssueCount> SqlMetrics::open_issues() {
  std::vector<ProjectIssueCount> out;
  ProjectIssueCount p;
  long long open = 0, held = 0;
  db_.each(
      "SELECT p.path, "
      "(SELECT COALESCE(SUM(t.n), 0) FROM issue_tally t WHERE t.project_id = p.id AND "
      "t.state = 'opened' AND t.spam = 0), "
      "(SELECT COALESCE(SUM(t.n), 0) FROM issue_tally t WHERE t.project_id = p.id AND "
      "t.state = 'opened' AND t.spam = 1) "
      "FROM project p ORDER BY p.path",
      [&] {
        p.open = open;
        p.quarantined = held;
        out.push_back(p);
      },
      soci::into(p.path), soci::into(open), soci::into(held));
  return out;
}

}  // namespace store
