// backup.h: deskmail db backup / db restore (deskmail(1), BACKUP): a
// consistent copy of a live SQLite database, and the copy put back.
//
// The copy is taken with SQLite's online backup API in one step, inside one
// read transaction: in WAL mode deskmaild goes on committing meanwhile, and
// the copy holds exactly the deliveries committed before the step began.
// PostgreSQL has its own tools: these refuse it and name pg_dump.
#pragma once

#include <string>

namespace store {

/// What a backup or a restore copied.
struct BackupInfo {
  int schema_version = 0;
  long long pages = 0;
  long long bytes = 0;
};

/// Copies the SQLite database of `connection` into the new file `target`
/// (mode 0600, never an existing file), synced to disk, and checks the copy
/// (PRAGMA integrity_check). Throws Error: for PostgreSQL (the message gives
/// the pg_dump command), when `target` exists, or when the copy fails (the
/// partial file is removed).
BackupInfo backup(const std::string& connection, const std::string& target);

/// Replaces the SQLite database of `connection` with the copy at `source`,
/// after checking the copy (integrity, a deskmail schema no newer than this
/// program's). The replacement is one write transaction: other connections
/// see the old database or the restored one. Throws Error, changing nothing,
/// when the copy is not fit or the database is busy.
BackupInfo restore(const std::string& connection, const std::string& source);

/// The pg_dump command line for a PostgreSQL connection string (password
/// left out: libpq reads ~/.pgpass or $PGPASSWORD).
std::string pg_dump_command(const std::string& connection, const std::string& target);

}  // namespace store
