// database_file.h: the SQLite database file is made by deskmail, not by
// SQLite, so that its mode does not depend on the umask of whoever ran the
// first command (dpkg's 0022 made it world-readable, issue 18).
//
// SQLite gives the -wal and -shm files it creates beside the database the
// database's mode, whatever the umask, and, when it runs as root, the
// database's owner: the database's own mode and owner are the one place the
// permissions are decided.
#pragma once

#include <string>

namespace store::sqlite {

/// The database file an SQLite connection string names ("sqlite3://db=PATH"
/// or "sqlite3://PATH", with SOCI's other key=value options); "" for
/// another backend, an in-memory database or a file: URI.
std::string database_path(const std::string& connection);

/// Creates the database file, empty, with mode 0660 whatever the umask, when
/// `path` is not "" and no file exists there. Run as root, the new file gets
/// the owner and group of its directory (`sudo deskmail db init` in
/// /var/lib/deskmail leaves a database the service can open). Does nothing
/// when the file cannot be created: opening it reports why, as before.
void create_database_file(const std::string& path);

}  // namespace store::sqlite
