// deliverer.h: the daemon's lmtp::Handler. Routes each recipient, parses the
// message with GMime, and hands it to the desk's intake (desk::Desk::deliver,
// one store transaction per recipient) on the store's own thread: never on
// an I/O thread.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

#include "common/defaults.h"
#include "delivery/counters.h"
#include "delivery/group_commit.h"
#include "delivery/status.h"
#include "desk/desk.h"
#include "desk/identity.h"
#include "lmtp/handler.h"
#include "mail/scan.h"
#include "route/route.h"
#include "spam/spam.h"
#include "store/store.h"

namespace delivery {

/// What a delivery checks before anything is stored (SIGHUP replaces it).
struct Policy {
  mail::ScanLimits scan;
  spam::Policy spam;
  std::uint32_t new_issues_per_sender_hour = common::defaults::new_issues_per_sender_hour.value;
  std::uint32_t confirmations_per_sender_day = common::defaults::confirmations_per_sender_day.value;
  std::uint32_t confirmations_per_hour = common::defaults::confirmations_per_hour.value;
  std::size_t text_per_message = common::defaults::text_per_message.value;
  std::uint64_t store_per_message = common::defaults::store_per_message.value;
  desk::AuthPolicy auth;  // who the site vouches for (desk/identity.h)
  // Where attachments that decode to more than 1 MiB are written while the
  // message is stored ("": kept in memory).
  std::string spool_dir;
  // How long a session waits for the store before it answers 451 itself
  // (the store's own waits end sooner; this bounds a store that hangs).
  std::chrono::milliseconds store_deadline{2000 * common::defaults::store_wait.value + 2000};
};

class Deliverer final : public lmtp::Handler {
 public:
  /// `store_executor` must run on threads that own `store` (one thread for
  /// SQLite); every store call is made there.
  /// `work_executor` runs scanning and MIME parsing of messages larger than
  /// kParseInline (any number of threads).
  Deliverer(boost::asio::any_io_executor store_executor, boost::asio::any_io_executor work_executor,
            store::Store& store, route::Base base, store::Composer* composer = nullptr);

  boost::asio::awaitable<lmtp::Reply> check_recipient(const lmtp::ConnectionInfo& conn,
                                                      const lmtp::Envelope& env,
                                                      const std::string& address) override;
  boost::asio::awaitable<std::vector<lmtp::Reply>> deliver(const lmtp::ConnectionInfo& conn,
                                                           const lmtp::Envelope& env,
                                                           common::BytesPtr data) override;

  /// SQLite: deliveries share COMMITs through `g` (null: one transaction
  /// each, on the store executor).
  void set_group_commit(GroupCommit* g) { group_ = g; }

  /// SQLite: a connection of its own that the session's thread uses for
  /// recipient lookups, without a hop to the store thread and back (WAL
  /// readers never wait for the writer). When it fails (busy, broken), the
  /// lookup goes to the store thread as without it. Null: always there.
  void set_reader(store::Store* reader) { reader_ = reader; }

  /// Replaces the routing base (SIGHUP).
  void set_base(route::Base base);
  void set_policy(Policy p);

  /// Called (on the store thread) after a delivery committed that queued
  /// outbound mail; the daemon uses it to wake the outbox dispatcher.
  std::function<void()> on_commit;

  /// Every answer counted (deskmail-web(8), METRICS): each refused RCPT
  /// and each recipient's reply after DATA, when its line is logged; and
  /// the store time of each message that reached the store.
  const Counters& counters() const { return counters_; }

  /// One line per delivery and per refusal; defaults to stderr. Lines about
  /// a temporary failure start with "warning: " (the log's priority).
  std::function<void(const std::string&)> log;

  /// A message checked and parsed, ready for the store; or the one answer
  /// every recipient gets (structure, loop, spam reject) with nothing stored.
  struct Prepared {
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point handed;  // to the store, after parsing
    std::size_t size = 0;
    std::string message_id;
    std::string queue_id;  // ours: on every log line of the delivery and in its replies
    std::string mta_id;    // the MTA's, from the topmost Received: field, for the log
    std::shared_ptr<const store::Inbound> inbound;  // null: `decided` answers all
    std::uint64_t store_per_message = 0;            // limits.store_per_message (budget.h)
    Status decided = Status::store_unavailable;
    std::string why;  // for the log
  };

  /// Scan, loop and spam checks and MIME parsing: no store access.
  Prepared prepare(const lmtp::Envelope& env, common::BytesPtr data) const;
  /// One store transaction per recipient; runs on the store's thread.
  std::vector<lmtp::Reply> commit(const lmtp::ConnectionInfo& conn, const lmtp::Envelope& env,
                                  const Prepared& p);

  /// True after kDownAfter store failures in a row, until a store call
  /// succeeds again: the server answers new connections with 421.
  bool store_down() const;
  /// Asks the store whether it answers again (on a store thread).
  void probe();
  static constexpr int kDownAfter = 3;
  /// Messages up to this size are parsed on the session's thread; larger
  /// ones on the work executor.
  static constexpr std::size_t kParseInline = 64 * 1024;

  /// The work itself, synchronous; public for tests.
  lmtp::Reply check_now(const std::string& address);
  std::vector<lmtp::Reply> deliver_now(const lmtp::ConnectionInfo& conn, const lmtp::Envelope& env,
                                       common::BytesPtr data);

 private:
  /// 451 4.3.0 to every recipient, each logged with `why`.
  std::vector<lmtp::Reply> tempfail_all(const lmtp::ConnectionInfo& conn, const lmtp::Envelope& env,
                                        const Prepared& p, const std::string& why);
  /// check_recipient's answer, before it is logged.
  boost::asio::awaitable<lmtp::Reply> answer_recipient(const std::string& address);
  std::optional<store::Target> resolve(store::Store& st, const route::Route& r);
  /// The RCPT answer from `st`; throws when the store does.
  lmtp::Reply lookup(store::Store& st, const std::string& address);
  void log_delivery(const lmtp::ConnectionInfo& conn, const lmtp::Envelope& env, const Prepared& p,
                    const std::string& rcpt, Status st, const std::string& ref,
                    const lmtp::Reply& reply, const std::string& why);
  route::Base base() const;
  void store_result(bool ok);
  Policy policy() const;

  boost::asio::any_io_executor store_ex_;
  boost::asio::any_io_executor work_ex_;
  store::Store& store_;
  desk::Desk desk_;  // the rules each delivery runs through
  mutable std::mutex base_mu_;
  route::Base base_;
  Policy policy_;
  std::atomic<int> failures_{0};  // store failures in a row
  std::atomic<bool> probing_{false};
  GroupCommit* group_ = nullptr;
  store::Store* reader_ = nullptr;
  Counters counters_;
};

}  // namespace delivery
