// schema.cc: schema version and migrations. Schema scripts run once, as
// one-time statements (they are not kept: a migration may rebuild the very
// tables the kept statements were prepared against).
#include "store/schema.h"

#include "schema_postgresql_001.h"
#include "schema_postgresql_002.h"
#include "schema_postgresql_003.h"
#include "schema_postgresql_004.h"
#include "schema_postgresql_005.h"
#include "schema_postgresql_006.h"
#include "schema_postgresql_007.h"
#include "schema_postgresql_008.h"
#include "schema_postgresql_010.h"
#include "schema_postgresql_011.h"
#include "schema_postgresql_012.h"
#include "schema_postgresql_013.h"
#include "schema_postgresql_014.h"
#include "schema_postgresql_015.h"
#include "schema_postgresql_016.h"
#include "schema_postgresql_017.h"
#include "schema_sqlite_001.h"
#include "schema_sqlite_002.h"
#include "schema_sqlite_003.h"
#include "schema_sqlite_004.h"
#include "schema_sqlite_005.h"
#include "schema_sqlite_006.h"
#include "schema_sqlite_007.h"
#include "schema_sqlite_008.h"
#include "schema_sqlite_010.h"
#include "schema_sqlite_011.h"
#include "schema_sqlite_012.h"
#include "schema_sqlite_013.h"
#include "schema_sqlite_014.h"
#include "schema_sqlite_015.h"
#include "schema_sqlite_016.h"
#include "schema_sqlite_017.h"
#include "store/search_index.h"
#include "store/store.h"

namespace store {

namespace {

struct Migration {
  int version;
  const char* sql;
};
const Migration kSqliteMigrations[] = {
    {1, kSqlite001},  {2, kSqlite002},  {3, kSqlite003},  {4, kSqlite004},
    {5, kSqlite005},  {6, kSqlite006},  {7, kSqlite007},  {8, kSqlite008},
    {10, kSqlite010}, {11, kSqlite011}, {12, kSqlite012}, {13, kSqlite013},
    {14, kSqlite014}, {15, kSqlite015}, {16, kSqlite016}, {17, kSqlite017}};
const Migration kPgMigrations[] = {{1, kPg001},  {2, kPg002},  {3, kPg003},  {4, kPg004},
                                   {5, kPg005},  {6, kPg006},  {7, kPg007},  {8, kPg008},
                                   {10, kPg010}, {11, kPg011}, {12, kPg012}, {13, kPg013},
                                   {14, kPg014}, {15, kPg015}, {16, kPg016}, {17, kPg017}};

// The statement text without its comment lines; "" when nothing is left.
std::string without_comments(const std::string& stmt) {
  std::string clean;
  std::size_t lp = 0;
  while (lp < stmt.size()) {
    auto nl = stmt.find('\n', lp);
    std::string line = stmt.substr(lp, nl == std::string::npos ? std::string::npos : nl - lp);
    lp = nl == std::string::npos ? stmt.size() : nl + 1;
    auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 2, "--") == 0) continue;
    clean += line + "\n";
  }
  if (clean.find_first_not_of(" \t\n") == std::string::npos) return "";
  return clean;
}

// Runs every statement of a schema file (SQLite prepares one at a time).
void exec_script(soci::session& sql, const std::string& script) {
  std::size_t pos = 0;
  while (pos < script.size()) {
    auto end = script.find(";\n", pos);
    if (end == std::string::npos) end = script.size();
    std::string clean = without_comments(script.substr(pos, end - pos));
    pos = end + 2;
    if (!clean.empty()) sql << clean;
  }
}

// SQLite: a migration that rebuilds a table (005) must not check foreign keys
// half-way; the switch only works outside a transaction. They are checked as
// a whole before the COMMIT instead.
struct ForeignKeysOff {
  soci::session& sql;
  bool on;
  ForeignKeysOff(soci::session& s, bool sqlite) : sql(s), on(sqlite) {
    if (on) sql << "PRAGMA foreign_keys = OFF";
  }
  ~ForeignKeysOff() {
    try {
      if (on) sql << "PRAGMA foreign_keys = ON";
    } catch (...) {
    }
  }
};

void check_foreign_keys(soci::session& sql) {
  int broken = 0;
  soci::rowset<soci::row> fk = sql.prepare << "PRAGMA foreign_key_check";
  for (auto it = fk.begin(); it != fk.end(); ++it) ++broken;
  if (broken)
    throw Error("the migration would break " + std::to_string(broken) +
                " foreign key references; nothing changed");
}

}  // namespace

int schema_version(Db& db) {
  int n = 0;
  if (db.dialect == Dialect::sqlite)
    db.run("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
           soci::into(n));
  else
    db.run(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
        "current_schema() AND table_name = 'schema_version'",
        soci::into(n));
  if (n == 0) return 0;
  long long v = 0;
  soci::indicator ind;
  db.sql << "SELECT max(version) FROM schema_version", soci::into(v, ind);
  return ind == soci::i_ok ? static_cast<int>(v) : 0;
}

int migrate_schema(Db& db, bool nested, int up_to) {
  bool sqlite = db.dialect == Dialect::sqlite;
  ForeignKeysOff off(db.sql, sqlite);
  db.st.clear();  // a rebuilt table: statements prepared against the old one
  Transaction tx(db, nested);
  // Several hosts may run 'db migrate' at once: one waits for the other.
  if (!sqlite) db.sql << "SELECT pg_advisory_xact_lock(20331)";
  int v = schema_version(db);
  if (v > Store::kSchemaVersion)
    throw Error("database schema version " + std::to_string(v) + " is newer than this program (" +
                std::to_string(Store::kSchemaVersion) + ")");
  for (const auto& m : sqlite ? kSqliteMigrations : kPgMigrations) {
    if (m.version <= v || m.version > up_to) continue;
    exec_script(db.sql, m.sql);
    // 8: the search index of the texts already stored (folded in C++).
    if (m.version == 8) rebuild_search_index(db.sql, db.dialect);
    long long ver = m.version;
    db.sql << "DELETE FROM schema_version";
    db.sql << "INSERT INTO schema_version (version) VALUES (:v)", soci::use(ver);
    v = m.version;
  }
  if (sqlite) check_foreign_keys(db.sql);
  tx.commit();
  return v;
}

}  // namespace store
