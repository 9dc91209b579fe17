// run.cc: opening what a command needs, then running it (see run.h).
#include "cli/run.h"

#include <stdexcept>

#include "cli/access.h"
#include "cli/output.h"
#include "config/config.h"
#include "desk/desk.h"
#include "setup/desk_setup.h"
#include "store/store.h"

namespace cli {

namespace {

void require_current_schema(store::Store& st) {
  int v = st.version();
  if (v != store::Store::kSchemaVersion)
    throw store::Error(v == 0 ? "the database has no schema: run 'deskmail db init'"
                              : "database schema version " + std::to_string(v) +
                                    " does not match this program: run 'deskmail db migrate'");
}

}  // namespace

int execute(const Call& call, const std::string& config_path, std::ostream& out,
            std::ostream& err) {
  const Command& cmd = *call.command;
  config::Config cfg = config::load(config_path);
  if (cmd.needs == Needs::config) return cmd.run({cmd, call.args, cfg, nullptr, nullptr, out, err});

  try {
    auto st = store::open(cfg.database, cfg.timeouts.store_wait);
    if (cmd.needs == Needs::store)
      return cmd.run({cmd, call.args, cfg, st.get(), nullptr, out, err});

    require_current_schema(*st);
    setup::DeskFromConfig wired(*st, cfg);
    return cmd.run({cmd, call.args, cfg, st.get(), &wired.desk(), out, err});
  } catch (const std::exception& e) {
    // A database this user may not use: say which file, whose, and what to do.
    std::string advice = access_advice(cfg.database);
    if (advice.empty()) throw;
    throw std::runtime_error(std::string(e.what()) + "\n" + advice);
  }
}

}  // namespace cli
