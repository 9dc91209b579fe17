// db.cc: deskmail db init|migrate|version|check|copy: storage administration,
// straight on the store (no desk rule is involved).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <ostream>

#include "cli/handlers.h"
#include "cli/json.h"
#include "config/config.h"
#include "store/backup.h"
#include "store/dialect.h"
#include "store/sqlite/database_file.h"
#include "store/store.h"

namespace cli::db {

namespace {

// The store's own invariants on an SQLite file (db check), one line each.
std::vector<std::string> check_file(const std::string& file, const config::Config& cfg) {
  // Opening would make an empty database where there is none.
  if (::access(file.c_str(), R_OK) != 0) throw store::Error(file + ": " + std::strerror(errno));
  auto st = store::open("sqlite3://db=" + file, cfg.timeouts.store_wait);
  return st->check();
}

std::string utc_stamp() {
  char buf[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Before a migration of an SQLite database: a copy beside it, named by the
// schema version it holds, e.g. deskmail.db.schema4-20261202T083000Z.bak.
std::string copy_before_migration(const config::Config& cfg, int from) {
  std::string path = store::sqlite::database_path(cfg.database);
  if (path.empty()) return "";
  std::string target = path + ".schema" + std::to_string(from) + "-" + utc_stamp() + ".bak";
  store::backup(cfg.database, target);
  return target;
}

}  // namespace

int init(const Context& ctx) {
  ctx.store->init();
  int v = ctx.store->version();
  if (ctx.args.json)
    ctx.out << json{{"version", v}}.dump() << "\n";
  else
    ctx.out << "database initialised, schema version " << v << "\n";
  return 0;
}

int migrate(const Context& ctx) {
  int from = ctx.store->version();
  std::string saved;
  if (from > 0 && from < store::Store::kSchemaVersion &&
      store::dialect_of(ctx.cfg.database) == store::Dialect::sqlite)
    saved = copy_before_migration(ctx.cfg, from);
  int v = ctx.store->migrate();
  if (ctx.args.json) {
    ctx.out << json{{"from", from}, {"version", v}, {"backup", saved}}.dump() << "\n";
  } else {
    if (!saved.empty()) ctx.out << "copy of schema version " << from << ": " << saved << "\n";
    ctx.out << "schema version " << from << " -> " << v << "\n";
  }
  return 0;
}

int version(const Context& ctx) {
  int v = ctx.store->version();
  if (ctx.args.json)
    ctx.out << json{{"version", v}, {"supported", store::Store::kSchemaVersion}}.dump() << "\n";
  else
    ctx.out << v << "\n";
  return 0;
}

int check(const Context& ctx) {
  if (ctx.args.pos.size() > 1) throw UsageError("db check takes at most one FILE (a backup)");
  auto problems = ctx.args.pos.empty() ? ctx.store->check() : check_file(ctx.args.pos[0], ctx.cfg);
  if (ctx.args.json) {
    ctx.out << json{{"problems", problems}, {"ok", problems.empty()}}.dump() << "\n";
  } else {
    for (const auto& p : problems) ctx.out << p << "\n";
    if (problems.empty()) ctx.out << "database consistent\n";
  }
  return problems.empty() ? 0 : 1;
}

// Moving a desk: every row from the configured database (or --from) into an
// empty one, e.g. from SQLite to PostgreSQL.
int copy(const Context& ctx) {
  auto to = ctx.args.get("to");
  if (!to || !ctx.args.pos.empty()) throw UsageError("db copy needs --to CONNECTION");
  std::string from = ctx.args.get("from").value_or(ctx.cfg.database);
  auto counts = store::copy(from, *to, ctx.cfg.timeouts.store_wait);
  if (ctx.args.json) {
    json j = json::object();
    for (const auto& [table, n] : counts) j[table] = n;
    ctx.out << j.dump() << "\n";
  } else {
    for (const auto& [table, n] : counts) ctx.out << table << ": " << n << " rows\n";
    ctx.out << "copied; point 'database' in the configuration at the new store\n";
  }
  return 0;
}

// A consistent copy of the live SQLite database, checked.
int backup(const Context& ctx) {
  if (ctx.args.pos.size() != 1) throw UsageError("db backup needs one FILE");
  const std::string& file = ctx.args.pos[0];
  auto info = store::backup(ctx.cfg.database, file);
  auto problems = check_file(file, ctx.cfg);
  if (ctx.args.json) {
    ctx.out << json{{"file", file},
                    {"schema_version", info.schema_version},
                    {"bytes", info.bytes},
                    {"problems", problems},
                    {"ok", problems.empty()}}
                   .dump()
            << "\n";
  } else {
    for (const auto& p : problems) ctx.out << p << "\n";
    ctx.out << file << ": " << info.bytes << " bytes, schema version " << info.schema_version
            << (problems.empty() ? ", consistent" : ", NOT consistent") << "\n";
  }
  return problems.empty() ? 0 : 1;
}

// The copy back over the configured database (deskmaild stopped first:
// deskmail(1), BACKUP). The database as it was is kept beside it.
int restore(const Context& ctx) {
  if (ctx.args.pos.size() != 1) throw UsageError("db restore needs one FILE");
  const std::string& file = ctx.args.pos[0];
  std::vector<std::string> problems;
  try {
    problems = check_file(file, ctx.cfg);
  } catch (const std::exception& e) {
    throw store::Error(file + ": " + e.what() + "; nothing restored");
  }
  if (!problems.empty()) {
    for (const auto& p : problems) ctx.err << file << ": " << p << "\n";
    throw store::Error(file + " is not consistent; nothing restored");
  }
  std::string path = store::sqlite::database_path(ctx.cfg.database);
  std::string kept;
  if (!path.empty() && ::access(path.c_str(), F_OK) == 0) {
    if (!ctx.args.has("force"))
      throw UsageError(path +
                       " exists: 'db restore FILE --force' replaces it (a copy of it is kept)");
    kept = path + ".before-restore-" + utc_stamp() + ".bak";
    store::backup(ctx.cfg.database, kept);
  }
  auto info = store::restore(ctx.cfg.database, file);
  if (ctx.args.json) {
    ctx.out
        << json{{"restored", file}, {"schema_version", info.schema_version}, {"kept", kept}}.dump()
        << "\n";
  } else {
    if (!kept.empty()) ctx.out << "the database as it was: " << kept << "\n";
    ctx.out << "restored " << file << " (schema version " << info.schema_version << ") into "
            << path << "\n";
    if (info.schema_version < store::Store::kSchemaVersion)
      ctx.out << "run 'deskmail db migrate' before starting deskmaild\n";
  }
  return 0;
}

}  // namespace cli::db
