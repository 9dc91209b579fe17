// checkpointer.h: SQLite's write-ahead log, copied into the database by a
// thread of its own (PASSIVE, four times a second) rather than by the
// writer's COMMIT: that copy fsyncs the database file, a stall for every
// delivery in the batch.
//
// SQLite's log starts over from its beginning only when a write begins after
// every frame is in the database. This thread never gets there while the
// writer runs batch after batch: under steady load the log grew without end
// (12 000 4 KiB messages: a 689 MB log beside a 135 MB database; every page
// read looked through all of its index). When the log has grown past
// kRestartFrames, restart_due() tells the writer to checkpoint the few frames
// left itself before its next batch, and that batch starts the log over.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite/control.h"
#include "store/store.h"

namespace server {

class Checkpointer {
 public:
  static constexpr long long kRestartFrames = 4096;  // 16 MiB of 4 KiB pages

  /// Starts the thread over `own`, a connection of its own to an SQLite
  /// database (throws std::invalid_argument for another store).
  Checkpointer(std::unique_ptr<store::Store> own, std::function<void(const std::string&)> log);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  /// For the writer, before a batch: true (once) when the log should start
  /// over, i.e. the writer should checkpoint what is left now.
  bool restart_due() { return restart_.exchange(false); }

  /// Ends the thread (idempotent) and closes its connection.
  void stop();

 private:
  void loop();
  bool pass();  // one checkpoint; true: the log is long, go on at once

  std::unique_ptr<store::Store> store_;
  store::sqlite::Control* wal_;  // store_'s
  std::function<void(const std::string&)> log_;
  std::atomic<bool> restart_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::chrono::steady_clock::time_point last_log_{};
  std::thread thread_;
};

}  // namespace server
