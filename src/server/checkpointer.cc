// checkpointer.cc: SQLite's checkpoint thread and the policy that hands the
// log's restart to the writer.
#include "server/checkpointer.h"

#include <stdexcept>

namespace server {

Checkpointer::Checkpointer(std::unique_ptr<store::Store> own,
                           std::function<void(const std::string&)> log)
    : store_(std::move(own)),
      wal_(store_ ? store_->sqlite() : nullptr),
      log_(std::move(log)),
      thread_(wal_ ? std::thread([this] { loop(); }) : std::thread()) {
  if (!wal_) throw std::invalid_argument("checkpoints are SQLite's: not an SQLite store");
}

Checkpointer::~Checkpointer() {
  stop();
}

void Checkpointer::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  store_.reset();
}

void Checkpointer::loop() {
  bool hurry = false;  // the log is long: copy the next part at once
  std::unique_lock lk(mu_);
  while (!cv_.wait_for(lk, std::chrono::milliseconds(hurry ? 0 : 250), [&] { return stop_; })) {
    lk.unlock();
    hurry = pass();
    lk.lock();
  }
}

bool Checkpointer::pass() {
  try {
    auto t0 = std::chrono::steady_clock::now();
    store::sqlite::WalFrames f = wal_->checkpoint();
    if (f.log < kRestartFrames) return false;
    // The writer stalls while it copies what was written since this pass
    // began: hand over only once a pass is short (copying 250 ms of 100 KiB
    // messages in the writer cost a fifth of the rate). Past four times the
    // limit, hand over anyway: the log's size is bounded also when passes
    // never get short.
    if (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(5) ||
        f.log >= 4 * kRestartFrames) {
      restart_ = true;
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_log_ > std::chrono::minutes(1)) {
      log_(std::string("checkpoint failed: ") + e.what());
      last_log_ = now;
    }
    return false;
  }
}

}  // namespace server
