// connection.cc: one database connection: opening and configuring it,
// turning faults into the store's exceptions, and running units of work on
// it (SQLite: WAL, synchronous=FULL, BEGIN IMMEDIATE; PostgreSQL: READ
// COMMITTED, row locks, bytea as hex).
#include "store/connection.h"

#include <soci/soci.h>

#include <algorithm>
#include <optional>

#include "common/fault.h"
#include "store/bounded.h"
#include "store/db.h"
#include "store/schema.h"
#include "store/sql_repos.h"
#include "store/sqlite/pragmas.h"
#include "store/sqlite/wal_vfs.h"

namespace store {

namespace {

class SqlConnection final : public Connection {
 public:
  SqlConnection(const std::string& conn, std::chrono::milliseconds wait)
      : db_(dialect_of(conn)), conn_(connection_string(conn, wait)), wait_(wait) {
    if (db_.dialect == Dialect::sqlite) {
      sqlite::refuse_lowered_sync(conn_);
      install_wal_write_coalescing();
    }
    connect();
  }

  Dialect dialect() const override { return db_.dialect; }
  soci::session& session() override { return db_.sql; }

  void guarded(bool read_only, const std::function<void()>& f) override {
    for (int attempt = 1;; ++attempt) {
      reconnect_if_broken();
      try {
        f();
        return;
      } catch (const NothingSent& e) {
        if (e.fault == Fault::connection) broken_ = true;
        if (e.fault == Fault::connection && attempt < 3) continue;
        throw Unavailable(std::string("database: ") + e.what());
      } catch (const soci::soci_error& e) {
        // Stopped at the thread's deadline (a Bound), or failed after it:
        // no retry, the caller has no time left.
        if (past_deadline() || (Deadline::current() && interrupted(e)))
          throw TimedOut(std::string("database: past the deadline: ") + e.what());
        Fault fault = classify(e, db_.sql);
        if (fault == Fault::connection) {
          broken_ = true;
          if (read_only && attempt < 3) continue;
        }
        if (fault == Fault::conflict && attempt < kConflictRetries) continue;
        if (fault != Fault::other) throw Unavailable(std::string("database: ") + e.what());
        throw;
      }
    }
  }

  int version() override { return schema_version(db_); }

  void init() override {
    if (int v = version(); v != 0)
      throw Error("the database already has a schema (version " + std::to_string(v) + ")");
    migrate();
  }

  int migrate() override { return migrate_schema(db_, batch_open_); }
  int migrate_to(int version) override { return migrate_schema(db_, batch_open_, version); }

  void run(Work kind, const std::function<void(Tx&)>& work) override {
    tx_.reset();
    // Inside a group commit (deskmaild's, never bounded) an interrupted
    // statement could undo the whole batch: no deadline there.
    std::optional<Bound> bound;
    if (!batch_open_) bound.emplace(db_, wait_, pg_timeout_ms_);
    if (kind == Work::read) {
      work(tx_);
      return;
    }
    Transaction t(db_, batch_open_);
    try {
      work(tx_);
    } catch (...) {
      if (bound) bound->disarm();  // ~Transaction's ROLLBACK runs to its end
      throw;
    }
    if (bound) bound->disarm();   // so does the COMMIT
    if (tx_.discarded()) return;  // ~Transaction rolls back
    // A delivery's own COMMIT (not a savepoint of a group commit, whose
    // COMMIT commit_batch() marks).
    bool marked = kind == Work::delivery && !t.nested();
    if (marked) common::fault_point("before_commit");
    t.commit();
    if (marked) common::fault_point("after_commit");
  }

  // SQLite only (the pool hands these out through sqlite(), null on
  // PostgreSQL).
  void begin_batch() override {
    try {
      db_.run("BEGIN IMMEDIATE");
    } catch (const soci::soci_error& e) {
      throw NothingSent(e.what(), classify(e, db_.sql));
    }
    batch_open_ = true;
  }

  void commit_batch() override {
    batch_open_ = false;
    common::fault_point("before_commit");
    db_.run("COMMIT");
    common::fault_point("after_commit");
  }

  void rollback_batch() override {
    batch_open_ = false;
    db_.run("ROLLBACK");
  }

  void manual_checkpoints() override {
    manual_checkpoints_ = true;  // kept across reconnects (configure())
    sqlite::manual_checkpoints(db_.sql);
  }

  sqlite::WalFrames checkpoint() override { return sqlite::checkpoint(db_.sql); }

 private:
  void connect() {
    try {
      db_.st.clear();  // prepared on the old connection
      db_.sql.open(conn_);
      configure();
    } catch (const soci::soci_error& e) {
      throw Unavailable(std::string("cannot open database: ") + e.what());
    }
  }

  void reconnect_if_broken() {
    if (!broken_) return;
    db_.st.clear();
    try {
      db_.sql.close();
    } catch (...) {
    }
    connect();
    broken_ = false;
  }

  // Durability first: a 250 promises the mail survives a power cut (RFC 5321
  // section 6.1), and every wait is bounded by `wait`.
  void configure() {
    if (db_.dialect == Dialect::sqlite) {
      sqlite::configure(db_.sql, wait_, manual_checkpoints_);
      return;
    }
    soci::session& sql = db_.sql;
    std::string ms = std::to_string(wait_.count());
    std::string fsync;
    sql << "SHOW fsync", soci::into(fsync);
    if (fsync != "on")
      throw Error("the PostgreSQL server runs with fsync = " + fsync +
                  ": deskmail refuses a store that can lose acknowledged mail");
    sql << "SET synchronous_commit = on";
    sql << "SET client_min_messages = warning";
    sql << "SET client_encoding = 'UTF8'";
    sql << "SET statement_timeout = " + ms;
    pg_timeout_ms_ = wait_.count();
    sql << "SET lock_timeout = " + ms;
    // A transaction left open by a stuck client must not hold row locks forever.
    sql << "SET idle_in_transaction_session_timeout = " +
               std::to_string(std::max<long long>(60000, 6 * wait_.count()));
  }

  static constexpr int kConflictRetries = 5;
  Db db_;
  std::string conn_;
  std::chrono::milliseconds wait_;
  SqlTx tx_{db_};
  long long pg_timeout_ms_ = 0;      // statement_timeout as last set (bounded.h)
  bool broken_ = false;              // the connection failed: reopen before the next use
  bool batch_open_ = false;          // inside begin_batch(): transactions are savepoints
  bool manual_checkpoints_ = false;  // wal_autocheckpoint = 0, also after a reconnect
};

}  // namespace

std::unique_ptr<Connection> connect(const std::string& connection, std::chrono::milliseconds wait) {
  return std::make_unique<SqlConnection>(connection, wait);
}

}  // namespace store
