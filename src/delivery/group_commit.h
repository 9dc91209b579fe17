// group_commit.h: SQLite's single writer with a queue (issue 7). Deliveries
// that arrive while a COMMIT is being synced wait together; the writer then
// runs all of them in one transaction, each its own savepoint (one failure
// fails only itself), syncs once, and only then answers each of them. One
// fsync per batch instead of one per recipient.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "common/run_on.h"
#include "store/store.h"

namespace delivery {

class GroupCommit {
 public:
  /// `max_batch`: most deliveries in one transaction.
  GroupCommit(store::Store& store, std::size_t max_batch = 256);
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  /// Runs `fn` (store calls) inside the next batch; the caller resumes after
  /// the batch's COMMIT with fn's result, or with the exception fn threw, or
  /// with Unavailable if the COMMIT failed; with nullopt after `limit`.
  template <class R>
  boost::asio::awaitable<std::optional<R>> run(std::function<R()> fn,
                                               std::chrono::steady_clock::duration limit) {
    auto submit = [this](std::function<void()> work,
                         std::function<void(std::exception_ptr)> finish) {
      this->submit(std::move(work), std::move(finish));
    };
    return common::run_deferred<R>(std::move(submit), std::move(fn), limit);
  }

  /// Queues `work` (store calls) for the next batch; `finish` runs after its
  /// COMMIT with null, or with the exception that failed the COMMIT.
  void submit(std::function<void()> work, std::function<void(std::exception_ptr)> finish) {
    push({std::move(work), std::move(finish)});
  }

  /// Finishes the queued deliveries and ends the writer thread.
  void stop();

  struct Stats {
    std::uint64_t batches = 0, jobs = 0, largest = 0;
  };
  Stats stats() const;

 private:
  struct Job {
    std::function<void()> work;
    std::function<void(std::exception_ptr)> finish;
  };
  void push(Job j);
  void loop();

  store::Store& store_;
  std::size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace delivery
