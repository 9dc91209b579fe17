// config_cmd.cc: deskmail config show: the effective configuration, every
// setting with its value, defaults marked (like postconf(1) and
// doveconf(1)); secrets in the database string are redacted. deskmail
// config check: deskmaild --check-config's checks of the environment.
#include <ostream>

#include "cli/handlers.h"
#include "cli/json.h"
#include "config/config.h"
#include "server/check.h"

namespace cli::config_cmd {

int show(const Context& ctx) {
  if (!ctx.args.pos.empty()) throw UsageError("config show takes no arguments");
  bool changed_only = ctx.args.has("changed");
  auto shown = config::show(ctx.cfg);
  if (ctx.args.json) {
    json j = json::object();
    for (const auto& s : shown)
      if (!changed_only || !s.is_default)
        j[s.name] = {{"value", s.value}, {"default", s.is_default}};
    ctx.out << j.dump() << "\n";
    return 0;
  }
  ctx.out << "# " << ctx.cfg.file << "\n";
  for (const auto& s : shown) {
    if (changed_only && s.is_default) continue;
    ctx.out << s.name << " = " << s.value << (s.is_default ? "   # default" : "") << "\n";
  }
  return 0;
}

// The same checks and exit statuses as deskmaild --check-config (the file
// loaded: its syntax is fine when this runs).
int check(const Context& ctx) {
  if (!ctx.args.pos.empty()) throw UsageError("config check takes no arguments");
  server::CheckOptions opts;
  opts.relay_required = ctx.args.has("relay");
  ctx.out << "ok: " << ctx.cfg.file << ": syntax\n";
  return server::check_environment(ctx.cfg, opts, ctx.out, ctx.err);
}

}  // namespace cli::config_cmd
