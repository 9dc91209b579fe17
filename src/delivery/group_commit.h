// group_commit.h: SQLite's single writer with a queue (issue 7). Deliveries
// that arrive while a COMMIT is being synced wait together; the writer then
// runs all of them in one transaction, each its own savepoint (one failure
// fails only itself), syncs once, and only then answers each of them. One
// fsync per batch instead of one per recipient.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "store/sqlite/control.h"

namespace delivery {

class GroupCommit {
 public:
  /// `store`: an SQLite store's Control (store::Store::sqlite()).
  /// `max_batch`: most deliveries in one transaction. `between_batches`
  /// runs on the writer thread before each batch, outside any transaction,
  /// and must not throw (the daemon lets SQLite's log start over there, see
  /// src/server/daemon.cc).
  explicit GroupCommit(store::sqlite::Control& store, std::size_t max_batch = 256,
                       std::function<void()> between_batches = {});
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  /// Queues `work` (store calls) for the next batch; `finish` runs after its
  /// COMMIT with null, or with the exception that failed the COMMIT. With
  /// common::run_deferred, a coroutine awaits it with a deadline.
  void submit(std::function<void()> work, std::function<void(std::exception_ptr)> finish) {
    push({std::move(work), std::move(finish)});
  }

  /// Finishes the queued deliveries and ends the writer thread.
  void stop();

  struct Stats {
    std::uint64_t batches = 0, jobs = 0, largest = 0;
  };
  Stats stats() const;

  /// True when nothing is queued and no batch is running: a job submitted
  /// now starts at once (a hint; it may be stale by the time it is used).
  bool idle() const { return idle_.load(std::memory_order_relaxed); }

 private:
  struct Job {
    std::function<void()> work;
    std::function<void(std::exception_ptr)> finish;
  };
  void push(Job j);
  void loop();

  store::sqlite::Control& store_;
  std::size_t max_batch_;
  std::function<void()> between_batches_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::atomic<bool> idle_{true};
  Stats stats_;
  std::thread thread_;
};

}  // namespace delivery
