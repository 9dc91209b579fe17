// metrics.h: /metrics for the admins' Prometheus, in the OpenMetrics 1.0
// text format, on a listener of its own (web.metrics; deskmail-web(8),
// METRICS). The counters are deskmaild's, read from the rows every daemon
// on the database writes (summed over them); the gauges are derived from the
// tables on each scrape, each from an index (schema 013).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"
#include "web/http.h"

namespace web {

/// What one scrape shows.
struct MetricsSnapshot {
  std::vector<store::MetricCount> counters;  // summed over the daemons
  std::vector<store::OutboxDepth> outbox;
  std::vector<store::ProjectIssueCount> projects;
  std::int64_t now = 0;  // Unix seconds, for the outbox's ages
};

/// The media type of the exposition.
inline constexpr const char* kOpenMetricsType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A label value as OpenMetrics writes it between its quotes: backslash,
/// double quote and line feed escaped.
std::string label_value(std::string_view v);

/// The exposition: every family with its TYPE, UNIT and HELP lines, then
/// "# EOF". Counter rows of a name it does not describe (a newer daemon's)
/// are left out.
std::string exposition(const MetricsSnapshot& s);

/// Reads a snapshot from the store (one read, no transaction).
MetricsSnapshot read_metrics(store::Store& st, std::int64_t now);

/// The metrics listener's handler: GET or HEAD /metrics; 405 for another
/// method there, 404 for any other path; 503 while the store is unavailable.
Response metrics_page(store::Store& st, const Request& r);

}  // namespace web
