// db.cc: deskmail db init|migrate|version|check|copy: storage administration,
// straight on the store (no desk rule is involved).
#include <ostream>

#include "cli/handlers.h"
#include "cli/json.h"
#include "config/config.h"
#include "store/store.h"

namespace cli::db {

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
  int v = ctx.store->migrate();
  if (ctx.args.json)
    ctx.out << json{{"from", from}, {"version", v}}.dump() << "\n";
  else
    ctx.out << "schema version " << from << " -> " << v << "\n";
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
  auto problems = ctx.store->check();
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

}  // namespace cli::db
