// counters.cc: the delivery counters and their flush (see counters.h).
#include "delivery/counters.h"

namespace delivery {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// The deliveries counter's labels for a status; the values are fixed words
// (status.cc), with nothing to escape.
std::string labels_of(Status s) {
  int code = reply_for(s, "").code;
  std::string cls = std::to_string(code / 100) + "xx";
  return std::string("result=\"") + result_of(s) + "\",class=\"" + cls + "\",status=\"" +
         name_of(s) + "\"";
}

}  // namespace

void Counters::count(Status s, std::uint64_t n) noexcept {
  auto i = static_cast<std::size_t>(s);
  if (s == Status::recipient_ok || i >= by_status_.size()) return;
  by_status_[i].fetch_add(n, kRelaxed);
}

void Counters::observe_store(std::chrono::steady_clock::duration d) noexcept {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  if (us < 0) us = 0;
  std::size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  buckets_[i].fetch_add(1, kRelaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(us), kRelaxed);
}

std::vector<store::MetricCount> Counters::totals() const {
  std::vector<store::MetricCount> out;
  for (std::size_t i = 0; i < by_status_.size(); ++i) {
    auto n = by_status_[i].load(kRelaxed);
    if (n)
      out.push_back(
          {kDeliveriesTotal, labels_of(static_cast<Status>(i)), static_cast<std::int64_t>(n)});
  }
  std::uint64_t cumulative = 0;
  std::vector<store::MetricCount> buckets;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load(kRelaxed);
    std::string le = i < kBounds.size() ? kBounds[i] : "+Inf";
    buckets.push_back(
        {kStoreSecondsBucket, "le=\"" + le + "\"", static_cast<std::int64_t>(cumulative)});
  }
  if (cumulative) {
    out.insert(out.end(), buckets.begin(), buckets.end());
    out.push_back({kStoreSecondsSum, "", static_cast<std::int64_t>(sum_us_.load(kRelaxed))});
  }
  return out;
}

CounterFlush::CounterFlush(const Counters& counters, std::string instance)
    : counters_(counters), instance_(std::move(instance)) {}

std::vector<store::MetricCount> CounterFlush::pending() const {
  std::lock_guard lk(mu_);
  std::vector<store::MetricCount> out;
  for (auto& t : counters_.totals()) {
    auto it = written_.find({t.name, t.labels});
    // A row never written goes out even at 0: every bucket of the
    // histogram exists from its first observation on.
    if (it == written_.end() || it->second != t.value) {
      if (it != written_.end()) t.value -= it->second;
      out.push_back(std::move(t));
    }
  }
  return out;
}

void CounterFlush::written(const std::vector<store::MetricCount>& deltas) {
  std::lock_guard lk(mu_);
  for (const auto& d : deltas) written_[{d.name, d.labels}] += d.value;
}

std::vector<store::MetricCount> CounterFlush::write(store::Store& st, std::int64_t now) const {
  auto deltas = pending();
  if (!deltas.empty())
    st.transact([&](store::Tx& tx) { tx.metrics().add(instance_, deltas, now); });
  return deltas;
}

std::size_t CounterFlush::flush(store::Store& st, std::int64_t now) {
  auto deltas = write(st, now);
  written(deltas);
  return deltas.size();
}

}  // namespace delivery
