// dispatcher.h: drains the outbox (DESIGN.md section 6). Claims one due mail
// at a time from the store (on a store thread) under a lease long enough for
// the whole SMTP dialogue, so that several instances on one PostgreSQL
// database never send the same mail twice; sends it with smtp_send, and records
// the result: sent; pending again with exponential backoff after a 4xx or a
// connection failure; failed after a 5xx or when the mail is too old.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

#include "common/defaults.h"
#include "outbox/smtp_client.h"
#include "store/store.h"

namespace outbox {

struct Options {
  Relay relay;
  Security security;  // TLS and the login at the relay
  std::string helo = "localhost";
  std::chrono::seconds poll{2};  // look for due mail at least this often
  // Defaults from common/defaults.h (the daemon sets them from the config).
  // First retry after this, doubling; never wait longer than retry_max; give
  // up on a mail older than max_age; timeout: per SMTP reply.
  std::chrono::seconds retry_base{common::defaults::retry_base.value};
  std::chrono::seconds retry_max{common::defaults::retry_max.value};
  std::chrono::seconds max_age{common::defaults::max_age.value};
  std::chrono::seconds timeout{common::defaults::smtp_timeout.value};
  std::string owner = "deskmaild";  // names this instance's outbox claims
};

class Dispatcher {
 public:
  Dispatcher(boost::asio::io_context& io, boost::asio::any_io_executor store_ex,
             store::Store& store, Options opts);
  void start();
  /// Sends no further mail: the mail in flight is finished and recorded,
  /// then `stopped` is posted to the io_context (at once when the loop is
  /// not running). Call on the I/O thread.
  void stop(std::function<void()> stopped = {});
  /// After stop(): cancels the SMTP dialogue in flight (SIGTERM's timeout).
  /// The mail stays claimed by this instance, which releases its claims when
  /// it starts again.
  void abort();
  /// Look for due mail now (after a delivery that queued some).
  void wake();
  void set_options(Options opts) { opts_ = std::move(opts); }

  std::function<void(const std::string&)> log;

  /// SQLite: hands store work to the single writer's group commit (work,
  /// then finish after the COMMIT that holds it), so that a claim and the
  /// record of a batch share the deliveries' COMMIT and fsync instead of
  /// each taking the connection for a COMMIT of its own (issue 24). Empty:
  /// the store executor runs them, each its own transaction.
  using Submit =
      std::function<void(std::function<void()>, std::function<void(std::exception_ptr)>)>;
  Submit write_through;

 private:
  template <class R>
  boost::asio::awaitable<R> on_store(std::function<R()> fn);
  boost::asio::awaitable<void> release_then_loop();
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> send_batch(std::vector<store::OutboxItem>& due);

  // Mails claimed at once and sent over one connection; the lease covers
  // all their transactions (lease_seconds).
  static constexpr std::size_t kBatch = 32;

  boost::asio::io_context& io_;
  boost::asio::any_io_executor store_ex_;
  store::Store& store_;
  Options opts_;
  boost::asio::steady_timer timer_;
  boost::asio::cancellation_signal cancel_;
  bool running_ = false;
  bool stopping_ = false;
  bool aborted_ = false;
  std::atomic<bool> woken_{false};  // wake() while a batch was on its way
  std::function<void()> stopped_;
};

/// How long a claim keeps a batch of `mails` from other dispatchers: every
/// step of their SMTP dialogue at its timeout, and a margin.
std::int64_t lease_seconds(std::chrono::seconds timeout, std::size_t mails = 1);

/// Seconds until the next attempt after `attempts` failures (60, 120, 240 ...).
std::int64_t backoff(std::int64_t attempts, std::chrono::seconds base, std::chrono::seconds max);

}  // namespace outbox
