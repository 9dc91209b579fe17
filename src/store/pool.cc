// pool.cc: the Store the daemon and the CLI use. Hands each call one free
// connection (PostgreSQL: several, one per store thread; SQLite: one, the
// single writer) and runs it guarded: conflicts retried, faults turned into
// Unavailable, a lost connection reopened.
#include <condition_variable>
#include <mutex>

#include "store/connection.h"

namespace store {

namespace {

class PooledStore final : public Store {
 public:
  PooledStore(const std::string& conn, std::chrono::milliseconds wait, int size) {
    for (int i = 0; i < size; ++i) {
      conns_.push_back(connect(conn, wait));
      free_.push_back(conns_.back().get());
    }
  }

  // A batch pins one connection to the calling thread until it ends; the
  // calls in between use it (other threads wait for a connection as usual).
  void begin_batch() override {
    Connection* c = acquire();
    try {
      c->guarded(false, [&] { c->begin_batch(); });
    } catch (...) {
      release(c);
      throw;
    }
    pinned_ = {this, c};
  }
  void commit_batch() override { end_batch(true); }
  void rollback_batch() override { end_batch(false); }

  int version() override {
    return call(true, [](Store& s) { return s.version(); });
  }
  void init() override {
    call(false, [](Store& s) { return (s.init(), 0); });
  }
  int migrate() override {
    return call(false, [](Store& s) { return s.migrate(); });
  }
  std::optional<Target> find_project_key(const std::string& key) override {
    return call(true, [&](Store& s) { return s.find_project_key(key); });
  }
  std::optional<Target> find_alias(const std::string& address) override {
    return call(true, [&](Store& s) { return s.find_alias(address); });
  }
  std::optional<Target> find_reply_key(const std::string& key, bool unsubscribe) override {
    return call(true, [&](Store& s) { return s.find_reply_key(key, unsubscribe); });
  }
  Outcome deliver(const Target& target, const Inbound& in, Composer* composer) override {
    return call(false, [&](Store& s) { return s.deliver(target, in, composer); });
  }
  int add_note(const std::string& ref, const NoteIn& note, Composer* composer) override {
    return call(false, [&](Store& s) { return s.add_note(ref, note, composer); });
  }
  int set_spam(const std::string& ref, bool spam, Composer* composer) override {
    return call(false, [&](Store& s) { return s.set_spam(ref, spam, composer); });
  }
  int set_state(const std::string& ref, const std::string& state, Composer* composer) override {
    return call(false, [&](Store& s) { return s.set_state(ref, state, composer); });
  }
  std::vector<OutboxItem> claim_outbox(int limit, std::int64_t lease_until,
                                       const std::string& owner) override {
    return call(false, [&](Store& s) { return s.claim_outbox(limit, lease_until, owner); });
  }
  int release_claims(const std::string& owner) override {
    return call(false, [&](Store& s) { return s.release_claims(owner); });
  }
  void outbox_sent(std::int64_t id) override {
    call(false, [&](Store& s) { return (s.outbox_sent(id), 0); });
  }
  void outbox_failed(std::int64_t id, const std::string& error, bool permanent,
                     std::int64_t next_attempt_at) override {
    call(false,
         [&](Store& s) { return (s.outbox_failed(id, error, permanent, next_attempt_at), 0); });
  }
  std::vector<OutboxItem> list_outbox(const std::optional<std::string>& state) override {
    return call(true, [&](Store& s) { return s.list_outbox(state); });
  }
  bool retry_outbox(std::int64_t id) override {
    return call(false, [&](Store& s) { return s.retry_outbox(id); });
  }
  Project add_project(const std::string& path, const std::string& name, const std::string& key,
                      const std::vector<std::string>& aliases) override {
    return call(false, [&](Store& s) { return s.add_project(path, name, key, aliases); });
  }
  std::vector<Project> list_projects() override {
    return call(true, [&](Store& s) { return s.list_projects(); });
  }
  std::optional<Project> find_project(const std::string& path) override {
    return call(true, [&](Store& s) { return s.find_project(path); });
  }
  void set_project_flag(const std::string& path, const std::string& flag, bool on) override {
    call(false, [&](Store& s) { return (s.set_project_flag(path, flag, on), 0); });
  }
  void add_member(const std::string& path, const std::string& email) override {
    call(false, [&](Store& s) { return (s.add_member(path, email), 0); });
  }
  bool remove_member(const std::string& path, const std::string& email) override {
    return call(false, [&](Store& s) { return s.remove_member(path, email); });
  }
  void set_template(const std::string& path, MailKind kind, const std::string& subject,
                    const std::string& body) override {
    call(false, [&](Store& s) { return (s.set_template(path, kind, subject, body), 0); });
  }
  std::vector<std::string> check() override {
    return call(true, [&](Store& s) { return s.check(); });
  }
  void manual_checkpoints() override {
    for (auto& c : conns_) c->manual_checkpoints();
  }
  WalFrames checkpoint() override {
    return call(false, [&](Store& s) { return s.checkpoint(); });
  }
  std::vector<IssueSummary> list_issues(const IssueFilter& f) override {
    return call(true, [&](Store& s) { return s.list_issues(f); });
  }
  std::optional<IssueDetail> show_issue(const std::string& ref) override {
    return call(true, [&](Store& s) { return s.show_issue(ref); });
  }

 private:
  // Runs `op` on a free connection. Callers are the store threads, no more
  // of them than connections, so the wait is short.
  void end_batch(bool commit) {
    Connection* c = pinned_.owner == this ? pinned_.conn : nullptr;
    if (!c) throw Error("no batch open on this thread");
    pinned_ = {};
    struct Release {
      PooledStore* pool;
      Connection* c;
      ~Release() { pool->release(c); }
    } release{this, c};
    if (!commit) {
      try {
        c->rollback_batch();
      } catch (...) {
      }
      return;
    }
    try {
      c->guarded(false, [&] { c->commit_batch(); });
    } catch (...) {
      try {
        c->rollback_batch();
      } catch (...) {
      }
      throw;
    }
  }

  template <class Op>
  auto call(bool read_only, Op op) -> decltype(op(std::declval<Store&>())) {
    if (pinned_.owner == this) {  // inside this thread's batch
      std::optional<decltype(op(std::declval<Store&>()))> result;
      Connection* c = pinned_.conn;
      c->guarded(read_only, [&] { result = op(*c); });
      return std::move(*result);
    }
    Connection* c = acquire();
    struct Release {
      PooledStore* pool;
      Connection* c;
      ~Release() { pool->release(c); }
    } release{this, c};
    std::optional<decltype(op(std::declval<Store&>()))> result;
    c->guarded(read_only, [&] { result = op(*c); });
    return std::move(*result);
  }

  Connection* acquire() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !free_.empty(); });
    Connection* c = free_.back();
    free_.pop_back();
    return c;
  }
  void release(Connection* c) {
    {
      std::lock_guard lk(mu_);
      free_.push_back(c);
    }
    cv_.notify_one();
  }

  struct Pinned {
    PooledStore* owner = nullptr;
    Connection* conn = nullptr;
  };
  static thread_local Pinned pinned_;

  std::vector<std::unique_ptr<Connection>> conns_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Connection*> free_;
};

thread_local PooledStore::Pinned PooledStore::pinned_;

}  // namespace

std::unique_ptr<Store> open(const std::string& connection, std::chrono::milliseconds wait,
                            int connections) {
  int n = dialect_of(connection) == Dialect::sqlite ? 1 : std::max(1, connections);
  return std::make_unique<PooledStore>(connection, wait, n);
}

}  // namespace store
