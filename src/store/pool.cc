// pool.cc: the Store the daemon and the CLI use. Hands each unit of work one
// free connection (PostgreSQL: several, one per store thread; SQLite: one,
// the single writer) and runs it guarded: conflicts retried, faults turned
// into Unavailable, a lost connection reopened.
#include <condition_variable>
#include <mutex>

#include "store/connection.h"
#include "store/sqlite/database_file.h"

namespace store {

namespace {

class PooledStore final : public Store, private sqlite::Control {
 public:
  PooledStore(const std::string& conn, std::chrono::milliseconds wait, int size)
      : sqlite_(dialect_of(conn) == Dialect::sqlite) {
    for (int i = 0; i < size; ++i) {
      conns_.push_back(connect(conn, wait));
      free_.push_back(conns_.back().get());
    }
  }

  sqlite::Control* sqlite() override { return sqlite_ ? this : nullptr; }

 private:
  // --- sqlite::Control (SQLite only: sqlite() is null on PostgreSQL) -------
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
  void manual_checkpoints() override {
    for (auto& c : conns_) c->manual_checkpoints();
  }
  sqlite::WalFrames checkpoint() override {
    return call(false, [&](Connection& c) { return c.checkpoint(); });
  }

 public:
  // --- Store ----------------------------------------------------------------
  int version() override {
    return call(true, [](Connection& s) { return s.version(); });
  }
  void init() override {
    call(false, [](Connection& s) { return (s.init(), 0); });
  }
  int migrate_to(int version) override {
    return call(false, [version](Connection& s) { return s.migrate_to(version); });
  }
  int migrate() override {
    return call(false, [](Connection& s) { return s.migrate(); });
  }
  void run(Work kind, const std::function<void(Tx&)>& work) override {
    call(kind == Work::read, [&](Connection& s) { return (s.run(kind, work), 0); });
  }

 private:
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

  // Runs `op` on a free connection. Callers are the store threads, no more
  // of them than connections, so the wait is short.
  template <class Op>
  auto call(bool read_only, Op op) -> decltype(op(std::declval<Connection&>())) {
    if (pinned_.owner == this) {  // inside this thread's batch
      std::optional<decltype(op(std::declval<Connection&>()))> result;
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
    std::optional<decltype(op(std::declval<Connection&>()))> result;
    c->guarded(read_only, [&] { result = op(*c); });
    return std::move(*result);
  }

  // Waits no longer than the thread's deadline (store.h): on SQLite's one
  // connection, a request behind a slow one gives up with it.
  Connection* acquire() {
    std::unique_lock lk(mu_);
    auto ready = [&] { return !free_.empty(); };
    if (auto d = Deadline::current()) {
      if (!cv_.wait_until(lk, *d, ready))
        throw TimedOut("the request's deadline passed while it waited for a database connection");
    } else {
      cv_.wait(lk, ready);
    }
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

  bool sqlite_;
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
  sqlite::create_database_file(sqlite::database_path(connection));
  return std::make_unique<PooledStore>(connection, wait, n);
}

}  // namespace store
