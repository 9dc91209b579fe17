// metrics.cc: the OpenMetrics exposition and the metrics listener's
// handler (see metrics.h). The families and their help texts are listed in
// deskmail-web(8), METRICS; the names follow Prometheus' conventions
// (deskmail_ prefix, base units, _total for counters).
#include "web/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

namespace web {

namespace {

// The sample names deskmaild writes (src/delivery/counters.h).
constexpr std::string_view kDeliveries = "deskmail_deliveries_total";
constexpr std::string_view kBucket = "deskmail_delivery_store_seconds_bucket";
constexpr std::string_view kSumUs = "deskmail_delivery_store_seconds_sum";

void family(std::string& out, const char* name, const char* type, const char* unit,
            const char* help) {
  out += std::string("# TYPE ") + name + " " + type + "\n";
  if (*unit) out += std::string("# UNIT ") + name + " " + unit + "\n";
  out += std::string("# HELP ") + name + " " + help + "\n";
}

void sample(std::string& out, std::string_view name, std::string_view labels,
            const std::string& value) {
  out += name;
  if (!labels.empty()) (((out += "{") += labels) += "}");
  (((out += " ") += value) += "\n");
}

// The bound of a bucket row's le="..." label (+Inf for "+Inf").
double bound_of(const std::string& labels) {
  auto at = labels.find("le=\"");
  if (at == std::string::npos) return INFINITY;
  std::string v = labels.substr(at + 4, labels.find('"', at + 4) - at - 4);
  return v == "+Inf" ? INFINITY : std::strtod(v.c_str(), nullptr);
}

void deliveries(std::string& out, const std::vector<store::MetricCount>& rows) {
  family(out, "deskmail_deliveries", "counter", "",
         "Recipients deskmaild answered, refused RCPTs included, by result, reply class "
         "and status (the result= word of the delivery's log line).");
  for (const auto& r : rows)
    if (r.name == kDeliveries) sample(out, r.name, r.labels, std::to_string(r.value));
}

void store_seconds(std::string& out, const std::vector<store::MetricCount>& rows) {
  family(out, "deskmail_delivery_store_seconds", "histogram", "seconds",
         "Time from a parsed message's hand-off to the store until its COMMIT returned, "
         "waiting for the writer included, per message.");
  std::vector<std::pair<double, const store::MetricCount*>> buckets;
  std::int64_t sum_us = 0;
  for (const auto& r : rows) {
    if (r.name == kBucket) buckets.emplace_back(bound_of(r.labels), &r);
    if (r.name == kSumUs) sum_us = r.value;
  }
  std::stable_sort(buckets.begin(), buckets.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::int64_t count = 0;
  for (const auto& [bound, r] : buckets) {
    if (std::isinf(bound)) count = r->value;
    sample(out, kBucket, r->labels, std::to_string(r->value));
  }
  if (buckets.empty() || !std::isinf(buckets.back().first))
    sample(out, kBucket, "le=\"+Inf\"", std::to_string(count));
  char sum[40];
  std::snprintf(sum, sizeof sum, "%.6f", static_cast<double>(sum_us) / 1e6);
  sample(out, "deskmail_delivery_store_seconds_sum", "", sum);
  sample(out, "deskmail_delivery_store_seconds_count", "", std::to_string(count));
}

void outbox(std::string& out, const MetricsSnapshot& s) {
  family(out, "deskmail_outbox_messages", "gauge", "",
         "Mails in the outbox not sent yet, by state (pending: due or waiting for a retry; "
         "failed: given up).");
  for (const auto& d : s.outbox)
    sample(out, "deskmail_outbox_messages", "state=\"" + label_value(d.state) + "\"",
           std::to_string(d.messages));
  family(out, "deskmail_outbox_oldest_age_seconds", "gauge", "seconds",
         "Age of the oldest mail in the state, 0 when there is none.");
  for (const auto& d : s.outbox) {
    std::int64_t age =
        d.oldest_created_at ? std::max<std::int64_t>(0, s.now - d.oldest_created_at) : 0;
    sample(out, "deskmail_outbox_oldest_age_seconds", "state=\"" + label_value(d.state) + "\"",
           std::to_string(age));
  }
}

void issues(std::string& out, const MetricsSnapshot& s) {
  family(out, "deskmail_issues_open", "gauge", "",
         "Opened issues per project, those held back as spam not included.");
  for (const auto& p : s.projects)
    sample(out, "deskmail_issues_open", "project=\"" + label_value(p.path) + "\"",
           std::to_string(p.open));
  family(out, "deskmail_issues_quarantined", "gauge", "",
         "Opened issues per project held back as spam (the quarantine).");
  for (const auto& p : s.projects)
    sample(out, "deskmail_issues_quarantined", "project=\"" + label_value(p.path) + "\"",
           std::to_string(p.quarantined));
}

}  // namespace

std::string label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string exposition(const MetricsSnapshot& s) {
  std::string out;
  deliveries(out, s.counters);
  store_seconds(out, s.counters);
  outbox(out, s);
  issues(out, s);
  out += "# EOF\n";
  return out;
}

MetricsSnapshot read_metrics(store::Store& st, std::int64_t now) {
  MetricsSnapshot s;
  s.now = now;
  st.read([&](store::Tx& tx) {
    s.counters = tx.metrics().counters();
    s.outbox = tx.metrics().outbox_depth();
    s.projects = tx.metrics().open_issues();
  });
  return s;
}

Response metrics_page(store::Store& st, const Request& r) {
  std::string_view path = r.target;
  path = path.substr(0, path.find('?'));
  if (path != "/metrics") return plain(404, "Not Found: this listener serves /metrics only");
  if (r.method != "GET" && r.method != "HEAD") {
    auto resp = plain(405, "Method Not Allowed");
    resp.headers.emplace_back("Allow", "GET, HEAD");
    return resp;
  }
  try {
    Response out;
    out.content_type = kOpenMetricsType;
    out.headers.emplace_back("Cache-Control", "no-store");
    if (r.method == "GET") out.body = exposition(read_metrics(st, std::time(nullptr)));
    return out;
  } catch (const store::Unavailable& e) {
    std::cerr << "deskmail-web: metrics: store unavailable: " << e.what() << "\n";
    auto resp = plain(503, "The desk's database is unavailable; try again in a moment.");
    resp.headers.emplace_back("Retry-After", "10");
    return resp;
  }
}

}  // namespace web
