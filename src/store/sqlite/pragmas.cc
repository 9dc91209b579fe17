// sqlite/pragmas.cc: SQLite's settings, checkpoints and file checks.
#include "store/sqlite/pragmas.h"

#include <soci/soci.h>

#include "store/values.h"

namespace store::sqlite {

void refuse_lowered_sync(const std::string& conn) {
  // SOCI's SQLite backend takes synchronous= in the connection string.
  if (conn.find("synchronous=") != std::string::npos &&
      conn.find("synchronous=full") == std::string::npos &&
      conn.find("synchronous=extra") == std::string::npos)
    throw Error(
        "the database connection string lowers SQLite's synchronous setting: "
        "deskmail refuses a store that can lose acknowledged mail");
}

void configure(soci::session& sql, std::chrono::milliseconds wait, bool manual) {
  sql << "PRAGMA busy_timeout = " + std::to_string(wait.count());
  std::string mode;
  sql << "PRAGMA journal_mode = WAL", soci::into(mode);
  if (mode != "wal") throw Error("cannot switch the SQLite database to WAL mode: " + mode);
  sql << "PRAGMA synchronous = FULL";
  int sync = 0;
  sql << "PRAGMA synchronous", soci::into(sync);
  if (sync < 2)  // 2 = FULL, 3 = EXTRA
    throw Error("SQLite runs with synchronous=" + std::to_string(sync) +
                ": deskmail refuses a store that can lose acknowledged mail");
  sql << "PRAGMA foreign_keys = ON";
  // Savepoints (one per delivery in a group commit) keep their undo journal
  // in memory, not in a temporary file opened and unlinked each time
  // (strace: an open, access and unlink per delivery).
  sql << "PRAGMA temp_store = MEMORY";
  if (manual) manual_checkpoints(sql);
}

void manual_checkpoints(soci::session& sql) {
  sql << "PRAGMA wal_autocheckpoint = 0";
}

WalFrames checkpoint(soci::session& sql) {
  int busy = 0, log = 0, done = 0;
  sql << "PRAGMA wal_checkpoint(PASSIVE)", soci::into(busy), soci::into(log), soci::into(done);
  return {log, done};
}

std::vector<std::string> file_problems(soci::session& sql) {
  std::vector<std::string> problems;
  std::vector<std::string> lines(100);
  sql << "PRAGMA integrity_check", soci::into(lines);
  for (const auto& l : lines)
    if (l != "ok") problems.push_back("SQLite integrity: " + l);
  soci::rowset<soci::row> fk = sql.prepare << "PRAGMA foreign_key_check";
  for (const auto& r : fk)
    problems.push_back("SQLite foreign key: a row of " + r.get<std::string>(0) +
                       " refers to a missing row of " + r.get<std::string>(2));
  return problems;
}

}  // namespace store::sqlite
