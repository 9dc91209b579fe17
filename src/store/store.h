// store.h: the store (DESIGN.md section 5): a database behind the narrow
// repositories of store/repository.h, handed out one unit of work at a time
// (transact / read). SOCI over SQLite and PostgreSQL. It stores; the desk's
// rules (src/desk) decide.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/repository.h"
#include "store/values.h"

namespace store {

namespace sqlite {
class Control;
}

/// What a unit of work does, for the connection that runs it.
enum class Work {
  read,      // reads only: no transaction is opened, each statement sees the latest COMMIT
  write,     // one transaction: all of it or none of it
  delivery,  // a write that stores a delivery: the crash tests' fault points
             // (common/fault.h) mark its COMMIT
};

class Store {
 public:
  virtual ~Store() = default;

  static constexpr int kSchemaVersion = 17;

  // --- schema -----------------------------------------------------------
  /// Creates the schema in an empty database. Throws Error if it exists.
  virtual void init() = 0;
  /// Applies pending migrations; returns the version reached.
  virtual int migrate() = 0;
  /// Runs the migrations up to `version` only and returns the version
  /// reached: for tests of one migration over data in an older layout.
  virtual int migrate_to(int version) = 0;
  /// The schema version in the database, 0 when there is none.
  virtual int version() = 0;

  // --- units of work --------------------------------------------------------
  /// Runs `work` with the repositories on one connection, inside one
  /// transaction unless `kind` is read; commits when it returns (unless it
  /// called Tx::discard()), rolls back when it throws. Conflicts (deadlock,
  /// serialization failure) run `work` again from the start: it must keep no
  /// effect outside the transaction from one run to the next. Database
  /// faults come out as Unavailable.
  virtual void run(Work kind, const std::function<void(Tx&)>& work) = 0;

  /// run() for work that returns a value.
  template <class F>
  auto transact(F&& f, Work kind = Work::write) -> std::invoke_result_t<F&, Tx&> {
    using R = std::invoke_result_t<F&, Tx&>;
    if constexpr (std::is_void_v<R>) {
      run(kind, [&](Tx& tx) { f(tx); });
    } else {
      std::optional<R> result;
      run(kind, [&](Tx& tx) { result.emplace(f(tx)); });
      return std::move(*result);
    }
  }
  template <class F>
  auto read(F&& f) -> std::invoke_result_t<F&, Tx&> {
    return transact(std::forward<F>(f), Work::read);
  }

  // --- what only SQLite has ----------------------------------------------------
  /// The single writer's group commit and the write-ahead log
  /// (store/sqlite/control.h); null on PostgreSQL.
  virtual sqlite::Control* sqlite() { return nullptr; }

  // --- shortcuts: one unit of work each, no rule involved (store.cc) --------
  std::optional<Target> find_project_key(const std::string& key);
  std::optional<Target> find_alias(const std::string& address);
  std::optional<Target> find_reply_key(const std::string& key, bool unsubscribe);

  /// Claims up to `limit` pending mails whose next attempt is due, oldest
  /// first: until `lease_until` (Unix seconds) no other dispatcher, on this
  /// or another host, gets them. `owner` names the claiming instance.
  std::vector<OutboxItem> claim_outbox(int limit, std::int64_t lease_until,
                                       const std::string& owner);
  /// Makes the mails `owner` claimed and did not finish due again (after a
  /// restart); returns how many.
  int release_claims(const std::string& owner);
  void outbox_sent(std::int64_t id);
  /// Records a failed attempt: permanent -> state failed; else pending again
  /// at `next_attempt_at`.
  void outbox_failed(std::int64_t id, const std::string& error, bool permanent,
                     std::int64_t next_attempt_at);
  /// Records a batch of attempts in one transaction (outbox_sent or
  /// outbox_failed for each); with `release_owner`, the mails that owner
  /// still holds are made due again in the same transaction.
  void outbox_record(const std::vector<OutboxAttempt>& attempts,
                     const std::string& release_owner = "");
  std::vector<OutboxItem> list_outbox(const std::optional<std::string>& state);
  /// Makes a failed (or pending) mail due now; false if there is no such id.
  bool retry_outbox(std::int64_t id);

  /// Throws Error when the path, key or an alias is taken.
  Project add_project(const std::string& path, const std::string& name, const std::string& key,
                      const std::vector<std::string>& aliases);
  std::vector<Project> list_projects();
  std::optional<Project> find_project(const std::string& path);
  /// Sets confirmation / notify_members / reopen_on_reply.
  void set_project_flag(const std::string& path, const std::string& flag, bool on);
  void add_member(const std::string& path, const std::string& email);
  bool remove_member(const std::string& path, const std::string& email);
  /// Sets a template (empty subject and body: back to the built-in default).
  void set_template(const std::string& path, MailKind kind, const std::string& subject,
                    const std::string& body);
  std::vector<IssueSummary> list_issues(const IssueFilter& f);
  /// Throws Error for a malformed reference; nullopt when there is no such issue.
  std::optional<IssueDetail> show_issue(const std::string& ref);
  /// Checks the invariants every committed delivery keeps (nothing
  /// half-stored, numbers in order, the outbox consistent, and the database
  /// file itself on SQLite). Returns one line per problem; empty when clean.
  std::vector<std::string> check();
};

/// The project id of `path` inside `tx`; throws Error("no project PATH").
std::int64_t project_id(Tx& tx, const std::string& path);

/// A time limit on the units of work the calling thread runs while it lives
/// (deskmail-web's per-request deadline, web.request_timeout_ms): a unit
/// that would wait for a connection past it, start after it or run past it
/// throws TimedOut. A statement running at the deadline is interrupted
/// (SQLite: a progress handler on the connection; PostgreSQL: the
/// connection's statement_timeout set to what is left), its transaction
/// rolled back, and the connection is left idle and usable. A COMMIT is
/// never interrupted: a unit whose work ended in time commits. Deadlines
/// nest (the inner one is restored to the outer one when it ends); a
/// thread without one runs unbounded, as before (deskmaild, the CLI).
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Deadline(Clock::duration within);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  /// The calling thread's deadline, if it has one.
  static std::optional<Clock::time_point> current();

 private:
  std::optional<Clock::time_point> previous_;
};

/// A unit of work ran into the calling thread's Deadline (see there);
/// nothing of it was committed.
class TimedOut : public Unavailable {
 public:
  using Unavailable::Unavailable;
};

/// Opens the store named by a SOCI connection string ("sqlite3://db=PATH" or
/// "postgresql://host=... dbname=..."). `wait` bounds how long a statement
/// waits for a lock or for the server. PostgreSQL opens `connections`
/// connections, used by as many threads at once; SQLite one (one writer),
/// unless `sqlite_readers`: then `connections` of them, every write on the
/// first (BEGIN IMMEDIATE on one connection, so the process's own writers
/// queue in the pool, not in SQLite's busy handler) and reads on any, the
/// others first (WAL readers block no one). Database faults come out as Unavailable (retry later),
/// after deadlocks and serialization failures were retried; a lost connection is reopened on the
/// next call.
std::unique_ptr<Store> open(const std::string& connection, std::chrono::milliseconds wait,
                            int connections = 1, bool sqlite_readers = false);

/// Copies every row of the store at `from` into the empty store at `to`
/// (schema created if absent), keeping ids, keys and pending mail. Both at
/// the current schema version. Returns rows copied per table, in order.
std::vector<std::pair<std::string, long long>> copy(const std::string& from, const std::string& to,
                                                    std::chrono::milliseconds wait);

}  // namespace store
