// pool.cc: the Store the daemon and the CLI use. Hands each unit of work one
// free connection (PostgreSQL: several, one per store thread; SQLite: one,
// the single writer) and runs it guarded: conflicts retried, faults turned
// into Unavailable, a lost connection reopened.
#include <algorithm>
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
    // SQLite with readers: the first connection is the only one that writes.
    if (sqlite_ && size > 1) writer_ = conns_.front().get();
  }

  sqlite::Control* sqlite() override { return sqlite_ ? this : nullptr; }

 private:
  // --- sqlite::Control (SQLite only: sqlite() is null on PostgreSQL) -------
  // A batch pins one connection to the calling thread until it ends; the
  // calls in between use it (other threads wait for a connection as usual).
  void begin_batch() override {
    Connection* c = acquire(false);
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
    Connection* c = acquire(read_only);
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
  Connection* acquire(bool read_only) {
    std::unique_lock lk(mu_);
    auto ready = [&] { return pick(read_only) != free_.end(); };
    if (auto d = Deadline::current()) {
      if (!cv_.wait_until(lk, *d, ready))
        throw TimedOut("the request's deadline passed while it waited for a database connection");
    } else {
      cv_.wait(lk, ready);
    }
    auto it = pick(read_only);
    Connection* c = *it;
    free_.erase(it);
    return c;
  }
  // The free connection a call may take (free_.end(): none yet). With an
  // SQLite writer_, a write takes only it and a read the others first.
  std::vector<Connection*>::iterator pick(bool read_only) {
    if (!writer_ || free_.empty()) return free_.empty() ? free_.end() : free_.end() - 1;
    auto w = std::find(free_.begin(), free_.end(), writer_);
    if (!read_only) return w;
    auto r = std::find_if(free_.begin(), free_.end(), [&](Connection* c) { return c != writer_; });
    return r != free_.end() ? r : w;
  }
  void release(Connection* c) {
    {
      std::lock_guard lk(mu_);
      free_.push_back(c);
    }
    cv_.notify_all();  // waiters differ: one may want only the writer
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
  Connection* writer_ = nullptr;  // SQLite with readers: the one that writes
};

thread_local PooledStore::Pinned PooledStore::pinned_;

}  // namespace

std::unique_ptr<Store> open(const std::string& connection, std::chrono::milliseconds wait,
                            int connections, bool sqlite_readers) {
  bool one = dialect_of(connection) == Dialect::sqlite && !sqlite_readers;
  int n = one ? 1 : std::max(1, connections);
  sqlite::create_database_file(sqlite::database_path(connection));
  return std::make_unique<PooledStore>(connection, wait, n);
}

}  // namespace store
