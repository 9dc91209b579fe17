// bounded.h: one unit of work held to the calling thread's store::Deadline
// on one connection (inside the store library only; connection.cc).
#pragma once

#include <chrono>

#include "store/db.h"
#include "store/store.h"

namespace soci {
class soci_error;
}

namespace store {

/// While it lives (or until disarm()), the connection's statements stop at
/// the thread's deadline: SQLite's progress handler interrupts them and its
/// lock wait ends there; PostgreSQL's statement_timeout is what is left
/// (session-wide, set before the unit's BEGIN, so the transaction has it
/// too). Without a deadline, PostgreSQL's statement_timeout is put back to
/// `wait` if a bounded unit changed it. Throws TimedOut when the deadline
/// has passed already.
class Bound {
 public:
  /// `pg_timeout_ms`: the connection's statement_timeout as last set.
  Bound(Db& db, std::chrono::milliseconds wait, long long& pg_timeout_ms);
  ~Bound() { disarm(); }
  Bound(const Bound&) = delete;
  Bound& operator=(const Bound&) = delete;
  /// Before COMMIT or ROLLBACK: those are never interrupted.
  void disarm();

 private:
  Db& db_;
  std::chrono::milliseconds wait_;
  Deadline::Clock::time_point at_{};
  bool armed_ = false;
};

/// Whether `e` is a statement stopped by a Bound (SQLite: interrupted;
/// PostgreSQL: query_canceled, which statement_timeout gives).
bool interrupted(const soci::soci_error& e);

/// Whether the calling thread has a deadline and it has passed.
bool past_deadline();

}  // namespace store
