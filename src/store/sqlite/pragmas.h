// sqlite/pragmas.h: SQLite's corner of the store (inside the store library
// only): the durability settings of a connection, the write-ahead log's
// checkpoints, and the checks of the database file. Nothing outside
// src/store names these; the daemon reaches them through sqlite::Control
// (sqlite/control.h).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "store/sqlite/control.h"

namespace soci {
class session;
}

namespace store::sqlite {

/// Throws Error when the connection string lowers SQLite's synchronous
/// setting below FULL.
void refuse_lowered_sync(const std::string& connection);

/// Durability first: a 250 promises the mail survives a power cut (RFC 5321
/// section 6.1), and every wait is bounded by `wait`. WAL, synchronous=FULL
/// (Error when SQLite runs with less), foreign keys on; with
/// `manual_checkpoints` the COMMIT leaves the log to checkpoint().
void configure(soci::session& sql, std::chrono::milliseconds wait, bool manual_checkpoints);

/// wal_autocheckpoint = 0 on this connection.
void manual_checkpoints(soci::session& sql);

/// A PASSIVE checkpoint: frames in the log, and how many are in the database.
WalFrames checkpoint(soci::session& sql);

/// integrity_check and foreign_key_check, one line per problem.
std::vector<std::string> file_problems(soci::session& sql);

}  // namespace store::sqlite
