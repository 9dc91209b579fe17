// access.h: what to tell a person whom the file system keeps from the desk's
// database (issue 19: a raw "attempt to write a readonly database" named
// neither the file, nor the user, nor what to do).
#pragma once

#include <string>

namespace cli {

/// For an SQLite connection string ("sqlite3://db=PATH"): when this process
/// may not read and write PATH (or create files beside it, as SQLite's
/// -wal and -shm files need), the lines that say which file, whose it is,
/// which user was refused and the two ways in (the desk's user, or its
/// group). "" when access is fine or the store is not SQLite.
std::string access_advice(const std::string& connection);

}  // namespace cli
