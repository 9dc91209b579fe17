// daemon.h: deskmaild's parts, wired together and run: the LMTP server, the
// deliverer over the store, the outbox dispatcher, and what the daemon itself
// owns (DESIGN.md section 3):
//   - SIGHUP reloads the configuration (listen and database at restart);
//   - SIGTERM/SIGINT drain: no new connections, idle sessions get 421 4.3.2,
//     transactions inside DATA finish; after timeouts.shutdown the rest are
//     closed. The drain is woken by the last session's end, not polled;
//   - while the store is down, it is asked every second whether it answers.
// Every task the daemon starts ends before run() returns: the io_context runs
// out of work, the pools are joined, and the stores are closed.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "delivery/counters.h"
#include "delivery/deliverer.h"
#include "delivery/group_commit.h"
#include "lmtp/server.h"
#include "notify/notify.h"
#include "outbox/dispatcher.h"
#include "server/checkpointer.h"
#include "store/sqlite/control.h"
#include "store/store.h"

namespace server {

class Daemon {
 public:
  /// How often changed delivery counters are written to the store.
  static constexpr std::chrono::seconds kMetricsEvery{5};

  /// Checks the spool directory, initialises GMime, opens the store and
  /// checks its schema version. Logs why and returns null when it cannot run.
  static std::unique_ptr<Daemon> open(const std::string& config_path, config::Config cfg);

  /// Listens, serves until SIGTERM or SIGINT, drains and closes the store.
  /// Returns the exit status.
  int run();

  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

 private:
  Daemon(std::string config_path, config::Config cfg, std::unique_ptr<store::Store> st);
  void open_sqlite_helpers();
  bool listen();
  void start_outbox();
  void wait_signal();
  void reload();
  void probe_store();
  void flush_metrics_every();
  void flush_metrics();
  void flush_metrics_now();
  void shutdown(int sig);
  void part_stopped();
  void close();

  std::string path_;
  config::Config cfg_;
  // Destroyed last: the last connection checkpoints SQLite's log as it closes.
  std::unique_ptr<store::Store> store_;
  store::sqlite::Control* sqlite_;  // store_'s; null on PostgreSQL
  // SQLite: RCPT lookups on the session's thread through a reading
  // connection of their own (no hop to the store thread and back).
  std::unique_ptr<store::Store> reader_;
  std::unique_ptr<Checkpointer> checkpointer_;  // SQLite
  boost::asio::io_context io_{1};
  // One store thread per database connection: SQLite has one writer, one
  // thread; PostgreSQL takes database_connections transactions at once.
  boost::asio::thread_pool store_pool_;
  // Scanning and MIME parsing of large messages: off the I/O thread and off
  // the store thread (small ones are parsed on the I/O thread).
  boost::asio::thread_pool parse_pool_{2};
  // The composer's settings are fixed at start: a reload changes the base
  // address for routing, and new mails use the names of the running process.
  notify::Composer composer_;
  delivery::Deliverer deliverer_;
  // The delivery counters' rows in the store (deskmail-web(8), METRICS):
  // what changed, every kMetricsEvery and at the end, in a transaction of
  // its own; one flush at a time.
  delivery::CounterFlush metrics_;
  std::atomic<bool> metrics_flushing_{false};
  std::atomic<bool> metrics_failed_{false};  // the last flush failed: logged once
  // SQLite's single writer: concurrent deliveries share one durable COMMIT.
  std::optional<delivery::GroupCommit> group_;
  outbox::Dispatcher dispatcher_;
  lmtp::Server server_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer probe_timer_;
  boost::asio::steady_timer metrics_timer_;
  boost::asio::steady_timer shutdown_timer_;
  bool stopping_ = false;
  int parts_running_ = 0;  // while stopping: the server and the dispatcher
};

}  // namespace server
