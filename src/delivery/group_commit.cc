// group_commit.cc: the writer loop.
#include "delivery/group_commit.h"

namespace delivery {

GroupCommit::GroupCommit(store::sqlite::Control& store, std::size_t max_batch,
                         std::function<void()> between_batches)
    : store_(store),
      max_batch_(max_batch),
      between_batches_(std::move(between_batches)),
      thread_([this] { loop(); }) {}

GroupCommit::~GroupCommit() {
  stop();
}

void GroupCommit::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

GroupCommit::Stats GroupCommit::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

void GroupCommit::push(Job j) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(j));
    idle_ = false;
  }
  cv_.notify_one();
}

void GroupCommit::loop() {
  for (;;) {
    std::vector<Job> batch;
    {
      std::unique_lock lk(mu_);
      if (queue_.empty()) idle_ = true;
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      idle_ = false;
      // Everything that queued up while the last COMMIT was syncing.
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++stats_.batches;
      stats_.jobs += batch.size();
      stats_.largest = std::max<std::uint64_t>(stats_.largest, batch.size());
    }
    std::exception_ptr failed;
    if (between_batches_) between_batches_();
    try {
      store_.begin_batch();
    } catch (...) {
      failed = std::current_exception();
    }
    if (!failed) {
      for (auto& j : batch) j.work();  // each catches its own exceptions
      try {
        store_.commit_batch();
      } catch (...) {
        failed = std::current_exception();  // nothing of the batch was stored
      }
    }
    for (auto& j : batch) j.finish(failed);
  }
}

}  // namespace delivery
