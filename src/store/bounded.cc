// bounded.cc: a unit of work held to the thread's deadline (see bounded.h).
#include "store/bounded.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <string>

namespace store {

namespace {

// SQLite calls it every this many virtual machine instructions (a few
// microseconds of work): a clock read each time costs nothing measurable.
constexpr int kProgressSteps = 1000;

int past(void* at) {
  return Deadline::Clock::now() >= *static_cast<Deadline::Clock::time_point*>(at) ? 1 : 0;
}

sqlite_api::sqlite3* native(Db& db) {
  return static_cast<soci::sqlite3_session_backend*>(db.sql.get_backend())->conn_;
}

}  // namespace

Bound::Bound(Db& db, std::chrono::milliseconds wait, long long& pg_timeout_ms)
    : db_(db), wait_(wait) {
  auto d = Deadline::current();
  if (!d) {
    if (db.dialect == Dialect::postgresql && pg_timeout_ms != wait.count()) {
      db.sql << "SET statement_timeout = " + std::to_string(wait.count());
      pg_timeout_ms = wait.count();
    }
    return;
  }
  at_ = *d;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(at_ - Deadline::Clock::now());
  if (left.count() <= 0)
    throw TimedOut("the request's deadline passed before the database was asked");
  long long ms = std::min(left, wait).count();
  if (db.dialect == Dialect::postgresql) {
    // Set a little under what is left, and kept while it stays within
    // 1/8 under it: the units of one request, and the next requests with
    // the same timeout, need no SET (a round trip) of their own.
    if (pg_timeout_ms > ms || pg_timeout_ms < ms - ms / 8) {
      long long set = std::max(1LL, ms - ms / 16);
      db.sql << "SET statement_timeout = " + std::to_string(set);
      pg_timeout_ms = set;
    }
    return;
  }
  auto* c = native(db);
  sqlite_api::sqlite3_progress_handler(c, kProgressSteps, &past, &at_);
  sqlite_api::sqlite3_busy_timeout(c, static_cast<int>(ms));
  armed_ = true;
}

void Bound::disarm() {
  if (!armed_) return;
  armed_ = false;
  auto* c = native(db_);
  sqlite_api::sqlite3_progress_handler(c, 0, nullptr, nullptr);
  sqlite_api::sqlite3_busy_timeout(c, static_cast<int>(wait_.count()));
}

bool interrupted(const soci::soci_error& e) {
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e))
    return pg->sqlstate() == "57014";
  // SQLite's message for SQLITE_INTERRUPT (SOCI's SQLite backend is loaded
  // at run time: its error class cannot be named here).
  return std::string(e.what()).find("interrupted") != std::string::npos;
}

bool past_deadline() {
  auto d = Deadline::current();
  return d && Deadline::Clock::now() >= *d;
}

}  // namespace store
