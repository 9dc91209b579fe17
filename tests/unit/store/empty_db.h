// empty_db.h: an empty database for a store test case: a fresh SQLite file
// in a directory of its own (removed after), or, when DESKMAIL_TEST_PG names
// one, that PostgreSQL database with its public schema emptied (the
// "store*" cases run there in the pg suite).
#pragma once

#include <soci/soci.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace store_test {

struct EmptyDb {
  std::filesystem::path dir;  // SQLite only
  std::string conn;
  bool pg = false;

  // sqlite_only: SQLite even when DESKMAIL_TEST_PG is set (a case about
  // SQLite's own behaviour).
  explicit EmptyDb(const std::string& name, bool sqlite_only = false) {
    const char* env = std::getenv("DESKMAIL_TEST_PG");
    if (env && *env && !sqlite_only) {
      pg = true;
      conn = env;
      soci::session s(conn);
      s << "SET client_min_messages = warning";
      s << "DROP SCHEMA IF EXISTS public CASCADE";
      s << "CREATE SCHEMA public";
    } else {
      std::string tmpl = "/tmp/deskmail-" + name + "-XXXXXX";
      dir = mkdtemp(tmpl.data());
      conn = "sqlite3://db=" + (dir / "t.db").string();
    }
  }
  ~EmptyDb() {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  EmptyDb(const EmptyDb&) = delete;
  EmptyDb& operator=(const EmptyDb&) = delete;
};

}  // namespace store_test
