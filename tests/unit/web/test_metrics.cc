// /metrics (src/web/metrics.h): the OpenMetrics text, checked line by line
// against the format's grammar (families, samples, label escaping, # EOF),
// and the metrics listener's routes over an in-memory store.
#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <sstream>

#include "../desk/memory_store.h"
#include "web/metrics.h"

namespace {

// What OpenMetrics 1.0 allows of our exposition: a TYPE before each
// family's samples, UNIT and HELP of that family, samples named after the
// family (with the suffixes its type allows) and label values in quotes
// with \\, \" and \n as the only escapes, one family at a time, and "# EOF"
// last. Returns "" or what is wrong.
std::string openmetrics_problem(const std::string& text) {
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  static const std::regex meta(R"(# (UNIT|HELP) ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")"
      R"((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (-?[0-9]+(?:\.[0-9]+)?))");
  if (text.size() < 6 || text.substr(text.size() - 6) != "# EOF\n") return "no # EOF at the end";
  std::istringstream in(text.substr(0, text.size() - 6));
  std::string line, family, kind;
  std::set<std::string> seen;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, type)) {
      family = m[1];
      kind = m[2];
      if (!seen.insert(family).second) return "family twice: " + line;
    } else if (std::regex_match(line, m, meta)) {
      if (m[2] != family) return "metadata of another family: " + line;
    } else if (std::regex_match(line, m, sample)) {
      std::string name = m[1];
      std::set<std::string> allowed =
          kind == "counter" ? std::set<std::string>{family + "_total"}
          : kind == "histogram"
              ? std::set<std::string>{family + "_bucket", family + "_sum", family + "_count"}
              : std::set<std::string>{family};
      if (!allowed.count(name)) return "sample outside its family: " + line;
    } else {
      return "not OpenMetrics: " + line;
    }
  }
  return "";
}

web::MetricsSnapshot sample_snapshot() {
  web::MetricsSnapshot s;
  s.now = 1000;
  s.counters = {
      {"deskmail_deliveries_total", R"(result="issue",class="2xx",status="created")", 3},
      {"deskmail_deliveries_total", R"(result="refused",class="5xx",status="unknown")", 1},
      // Buckets in the database's order (text), not the bounds'.
      {"deskmail_delivery_store_seconds_bucket", R"(le="+Inf")", 4},
      {"deskmail_delivery_store_seconds_bucket", R"(le="0.005")", 1},
      {"deskmail_delivery_store_seconds_bucket", R"(le="0.01")", 3},
      {"deskmail_delivery_store_seconds_bucket", R"(le="10.0")", 4},
      {"deskmail_delivery_store_seconds_sum", "", 12345},
      {"deskmail_something_newer_total", "", 7},
  };
  s.outbox = {{"pending", 2, 940}, {"failed", 0, 0}};
  s.projects = {{"acme/game", 2, 1}, {"we\"ird\\pro\nject", 0, 0}};
  return s;
}

}  // namespace

TEST_CASE("web metrics: label values escape backslash, quote and line feed only") {
  CHECK(web::label_value("acme/game") == "acme/game");
  CHECK(web::label_value("a\"b") == "a\\\"b");
  CHECK(web::label_value("a\\b") == "a\\\\b");
  CHECK(web::label_value("a\nb") == "a\\nb");
  CHECK(web::label_value("Zo\xc3\xab\t") == "Zo\xc3\xab\t");
}

TEST_CASE("web metrics: the exposition is OpenMetrics, every family, # EOF last") {
  std::string text = web::exposition(sample_snapshot());
  INFO(text);
  CHECK(openmetrics_problem(text) == "");
  CHECK(text.find("# EOF") == text.size() - 6);
  CHECK(text.find("# TYPE deskmail_deliveries counter\n") != std::string::npos);
  CHECK(text.find(
            "deskmail_deliveries_total{result=\"issue\",class=\"2xx\",status=\"created\"} 3\n") !=
        std::string::npos);
  CHECK(text.find("deskmail_something_newer") == std::string::npos);  // not described: left out
  // Buckets by their bound, the count from +Inf, the sum in seconds.
  auto at = [&](const std::string& s) { return text.find(s); };
  CHECK(at("_bucket{le=\"0.005\"} 1") < at("_bucket{le=\"0.01\"} 3"));
  CHECK(at("_bucket{le=\"0.01\"} 3") < at("_bucket{le=\"10.0\"} 4"));
  CHECK(at("_bucket{le=\"10.0\"} 4") < at("_bucket{le=\"+Inf\"} 4"));
  CHECK(at("deskmail_delivery_store_seconds_count 4\n") != std::string::npos);
  CHECK(at("deskmail_delivery_store_seconds_sum 0.012345\n") != std::string::npos);
  CHECK(at("# UNIT deskmail_delivery_store_seconds seconds\n") != std::string::npos);
  CHECK(at("deskmail_outbox_messages{state=\"pending\"} 2\n") != std::string::npos);
  CHECK(at("deskmail_outbox_messages{state=\"failed\"} 0\n") != std::string::npos);
  CHECK(at("deskmail_outbox_oldest_age_seconds{state=\"pending\"} 60\n") != std::string::npos);
  CHECK(at("deskmail_outbox_oldest_age_seconds{state=\"failed\"} 0\n") != std::string::npos);
  CHECK(at("deskmail_issues_open{project=\"acme/game\"} 2\n") != std::string::npos);
  CHECK(at("deskmail_issues_quarantined{project=\"acme/game\"} 1\n") != std::string::npos);
  CHECK(at("deskmail_issues_open{project=\"we\\\"ird\\\\pro\\nject\"} 0\n") != std::string::npos);
}

TEST_CASE("web metrics: an empty desk is valid too (a histogram has its +Inf bucket)") {
  web::MetricsSnapshot s;
  std::string text = web::exposition(s);
  INFO(text);
  CHECK(openmetrics_problem(text) == "");
  CHECK(text.find("deskmail_delivery_store_seconds_bucket{le=\"+Inf\"} 0\n") != std::string::npos);
  CHECK(text.find("deskmail_delivery_store_seconds_count 0\n") != std::string::npos);
  // The checker itself refuses what is not OpenMetrics.
  CHECK(openmetrics_problem("x 1\n") != "");
  CHECK(openmetrics_problem("# TYPE a gauge\na{l=\"x\"y\"} 1\n# EOF\n") != "");
  CHECK(openmetrics_problem("# TYPE a gauge\nb 1\n# EOF\n") != "");
}

TEST_CASE("web metrics: the listener serves GET /metrics only") {
  memory::MemoryStore st;
  st.state().projects.push_back({});
  st.state().projects.back().id = 1;
  st.state().projects.back().path = "acme/game";
  auto get = [&](const std::string& method, const std::string& target) {
    web::Request r;
    r.method = method;
    r.target = target;
    return web::metrics_page(st, r);
  };
  auto ok = get("GET", "/metrics");
  CHECK(ok.status == 200);
  CHECK(ok.content_type == "application/openmetrics-text; version=1.0.0; charset=utf-8");
  CHECK(openmetrics_problem(ok.body) == "");
  CHECK(ok.body.find("deskmail_issues_open{project=\"acme/game\"} 0\n") != std::string::npos);
  CHECK(get("GET", "/metrics?x=1").status == 200);
  CHECK(get("HEAD", "/metrics").body.empty());
  CHECK(get("GET", "/").status == 404);
  CHECK(get("GET", "/issues").status == 404);
  CHECK(get("GET", "/metrics/").status == 404);
  auto post = get("POST", "/metrics");
  CHECK(post.status == 405);
}
