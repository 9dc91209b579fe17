// backup.cc: SQLite online backup and restore (backup.h).
#include "store/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/dialect.h"
#include "store/sqlite/database_file.h"
#include "store/store.h"

namespace store {

namespace {

// One sqlite3 handle, closed on every path.
struct Handle {
  sqlite3* db = nullptr;
  Handle(const std::string& path, int flags, const std::string& what) {
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK)
      throw Error(what + " " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_busy_timeout(db, 30000);
  }
  ~Handle() { sqlite3_close_v2(db); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

std::string sqlite_path(const std::string& connection, const std::string& target) {
  if (dialect_of(connection) == Dialect::postgresql)
    throw Error("db backup and db restore are for SQLite; for PostgreSQL run\n  " +
                pg_dump_command(connection, target));
  std::string path = sqlite::database_path(connection);
  if (path.empty()) throw Error("the database is not an SQLite file: " + connection);
  return path;
}

// The first column of the first row of `sql`, as text ("" for none).
std::string scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK)
    throw Error(std::string(sql) + ": " + sqlite3_errmsg(db));
  std::string v;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
    v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    throw Error(std::string(sql) + ": " + sqlite3_errmsg(db));
  return v;
}

// Integrity and the deskmail schema's version of an open copy.
int checked_version(sqlite3* db, const std::string& path) {
  std::string ic = scalar(db, "PRAGMA integrity_check");
  if (ic != "ok") throw Error(path + ": integrity check: " + ic);
  if (scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'") != "1")
    throw Error(path + ": not a deskmail database (no schema_version table)");
  int v = std::atoi(scalar(db, "SELECT max(version) FROM schema_version").c_str());
  if (v < 1 || v > Store::kSchemaVersion)
    throw Error(path + ": schema version " + std::to_string(v) + ", this program knows 1 to " +
                std::to_string(Store::kSchemaVersion));
  return v;
}

// Copies every page of `from` into `to` in one step; returns the pages.
long long copy_pages(sqlite3* to, sqlite3* from, const std::string& what) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) throw Error(what + ": " + sqlite3_errmsg(to));
  int rc = sqlite3_backup_step(b, -1);
  long long pages = sqlite3_backup_pagecount(b);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE)
    throw Error(what + ": " + sqlite3_errstr(rc) + (rc == SQLITE_BUSY ? " (try again)" : ""));
  return pages;
}

void fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc < 0) throw Error(path + ": fsync: " + std::strerror(e));
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

long long file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : 0;
}

}  // namespace

std::string pg_dump_command(const std::string& connection, const std::string& target) {
  std::string conninfo = connection.substr(connection.find("://") + 3);
  std::string kept;
  std::size_t i = 0;
  while (i < conninfo.size()) {  // every key=value but password=
    auto end = conninfo.find(' ', i);
    if (end == std::string::npos) end = conninfo.size();
    std::string word = conninfo.substr(i, end - i);
    if (!word.empty() && word.rfind("password=", 0) != 0) kept += (kept.empty() ? "" : " ") + word;
    i = end + 1;
  }
  return "pg_dump --format=custom --file='" + (target.empty() ? "deskmail.pgdump" : target) +
         "' '" + kept + "'";
}

BackupInfo backup(const std::string& connection, const std::string& target) {
  std::string path = sqlite_path(connection, target);
  // The copy holds every issue: readable by its maker alone, whatever the umask.
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(target + ": " + std::strerror(errno));
  ::close(fd);
  BackupInfo info;
  try {
    Handle src(path, SQLITE_OPEN_READONLY, "cannot open the database");
    Handle dst(target, SQLITE_OPEN_READWRITE, "cannot open the copy");
    info.pages = copy_pages(dst.db, src.db, "backup of " + path);
    info.schema_version = checked_version(dst.db, target);
    // A copy that is one file: no -wal beside it to lose.
    scalar(dst.db, "PRAGMA journal_mode = DELETE");
  } catch (...) {
    ::unlink(target.c_str());
    throw;
  }
  fsync_path(target, O_RDONLY);
  fsync_path(directory_of(target), O_RDONLY | O_DIRECTORY);
  info.bytes = file_size(target);
  return info;
}

BackupInfo restore(const std::string& connection, const std::string& source) {
  std::string path = sqlite_path(connection, "");
  BackupInfo info;
  Handle src(source, SQLITE_OPEN_READONLY, "cannot open the copy");
  info.schema_version = checked_version(src.db, source);
  sqlite::create_database_file(path);
  Handle dst(path, SQLITE_OPEN_READWRITE, "cannot open the database");
  // The live database stays in WAL mode; the copy's header says DELETE.
  scalar(dst.db, "PRAGMA journal_mode = WAL");
  info.pages = copy_pages(dst.db, src.db, "restore into " + path);
  scalar(dst.db, "PRAGMA journal_mode = WAL");
  scalar(dst.db, "PRAGMA wal_checkpoint(TRUNCATE)");
  info.bytes = file_size(path);
  return info;
}

}  // namespace store
