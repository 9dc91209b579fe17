// counters.h: deskmaild's delivery metrics, counted where they happen
// (deskmail-web(8), METRICS). Refused and deferred deliveries never reach a
// table, so the daemon counts every answer itself: in memory, one relaxed
// atomic increment per recipient and no lock, never inside a transaction.
// CounterFlush adds what changed to the daemon's rows in the store (schema
// 013) every few seconds and at shutdown, in a transaction of its own, and
// deskmail-web sums the rows of every instance on a scrape.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "delivery/status.h"
#include "store/store.h"

namespace delivery {

/// The sample names deskmaild writes; deskmail-web describes them.
inline constexpr const char* kDeliveriesTotal = "deskmail_deliveries_total";
inline constexpr const char* kStoreSecondsBucket = "deskmail_delivery_store_seconds_bucket";
inline constexpr const char* kStoreSecondsSum = "deskmail_delivery_store_seconds_sum";  // in µs

class Counters {
 public:
  /// The store-time histogram's bucket bounds, as the le label writes them
  /// (then "+Inf").
  static constexpr std::array<const char*, 13> kBounds = {
      "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
      "0.25",  "0.5",    "1.0",   "2.5",  "5.0",   "10.0"};
  static constexpr std::array<std::int64_t, 13> kBoundsUs = {
      1000,   2500,   5000,    10000,   25000,   50000,   100000,
      250000, 500000, 1000000, 2500000, 5000000, 10000000};

  /// One recipient's answer: a refusal at RCPT, or a reply after DATA.
  /// An accepted RCPT (recipient_ok) is no delivery and is not counted.
  void count(Status s, std::uint64_t n = 1) noexcept;
  /// How long one message's store work took, from the parsed message's
  /// hand-off to the store until its COMMIT returned (waiting for the
  /// writer included).
  void observe_store(std::chrono::steady_clock::duration d) noexcept;

  /// Every sample since start, as the table holds them (histogram buckets
  /// cumulative, the sum in microseconds). Statuses never counted are left
  /// out; the buckets are all there once anything was observed.
  std::vector<store::MetricCount> totals() const;

 private:
  std::array<std::atomic<std::uint64_t>, kStatusCount> by_status_{};
  // Not cumulative: [i] counts the times up to kBounds[i] and over
  // kBounds[i-1]; the last one those over every bound.
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_us_{0};
};

/// The deltas between what `counters` counted and what this instance's rows
/// hold, and their writing. One flush at a time (a mutex, taken only by
/// the flush, never by a delivery).
class CounterFlush {
 public:
  /// `instance` keys the rows: stable across restarts, unique among the
  /// daemons sharing a database (the outbox owner: host and listener).
  CounterFlush(const Counters& counters, std::string instance);

  /// What changed since the last written(); empty when nothing did.
  std::vector<store::MetricCount> pending() const;
  /// `deltas`, from pending(), were committed.
  void written(const std::vector<store::MetricCount>& deltas);
  /// Writes pending() to `st` in one transaction of its own (run inside a
  /// group commit's batch, a savepoint of it) and returns them; the caller
  /// marks them written() once committed. Throws what the store throws.
  std::vector<store::MetricCount> write(store::Store& st, std::int64_t now) const;
  /// write() and written() together, for a store that commits at once;
  /// returns how many rows changed.
  std::size_t flush(store::Store& st, std::int64_t now);

  const std::string& instance() const { return instance_; }

 private:
  const Counters& counters_;
  std::string instance_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::int64_t> written_;
};

}  // namespace delivery
