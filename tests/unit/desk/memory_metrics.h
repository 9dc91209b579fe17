// memory_metrics.h: deskmaild's counters and /metrics' gauges over
// memory::State (memory_store.cc only).
#pragma once

#include "memory_store.h"

namespace memory::detail {

class Metrics final : public store::MetricsRepo {
 public:
  explicit Metrics(State& s) : s_(s) {}
  void add(const std::string& instance, const std::vector<store::MetricCount>& deltas,
           std::int64_t) override {
    for (const auto& d : deltas) s_.metric_counters[{instance, d.name, d.labels}] += d.value;
  }
  std::vector<store::MetricCount> counters() override {
    std::map<std::pair<std::string, std::string>, std::int64_t> sum;
    for (const auto& [k, v] : s_.metric_counters) sum[{std::get<1>(k), std::get<2>(k)}] += v;
    std::vector<store::MetricCount> out;
    for (const auto& [k, v] : sum) out.push_back({k.first, k.second, v});
    return out;
  }
  std::vector<store::OutboxDepth> outbox_depth() override {
    std::vector<store::OutboxDepth> out;
    for (const char* state : {"pending", "failed"}) {
      store::OutboxDepth d{state, 0, 0};
      for (const auto& o : s_.outbox) {
        if (o.state != state) continue;
        ++d.messages;
        if (!d.oldest_created_at || o.created_at < d.oldest_created_at)
          d.oldest_created_at = o.created_at;
      }
      out.push_back(d);
    }
    return out;
  }
  std::vector<store::ProjectIssueCount> open_issues() override {
    std::vector<store::ProjectIssueCount> out;
    for (const auto& p : s_.projects) {
      store::ProjectIssueCount c{p.path, 0, 0};
      for (const auto& i : s_.issues)
        if (i.row.project_id == p.id && i.state == "opened")
          ++(i.row.spam ? c.quarantined : c.open);
      out.push_back(c);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return out;
  }

 private:
  State& s_;
};

}  // namespace memory::detail
