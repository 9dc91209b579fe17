// check.h: deskmaild --check-config: the configuration's environment, not
// only its syntax (deskmaild(8), EXIT STATUS): the database answers at this
// program's schema version, the spool directory takes files, every listen
// address can be bound (its socket directory exists and the service user may
// write there), and, with --relay, the outbound relay greets.
#pragma once

#include <ostream>
#include <string>

#include "config/config.h"

namespace server {

/// deskmaild's exit statuses for --check-config.
enum CheckStatus : int {
  exit_ok = 0,
  exit_syntax = 1,       // the file does not load (config::Error)
  exit_environment = 2,  // database, schema, spool, listen
  exit_relay = 3,        // --relay: the relay did not greet with 220
};

struct CheckOptions {
  /// An unreachable relay is an error (exit 3), not only a warning.
  bool relay_required = false;
  /// Whose permissions count when the check runs as root.
  std::string service_user = "deskmail";
};

/// Runs every check; "ok: ..." lines go to `out`, "warning: ..." and
/// "error: ..." lines (one reason each) to `err`. Returns a CheckStatus:
/// the environment's failure before the relay's.
int check_environment(const config::Config& cfg, const CheckOptions& opts, std::ostream& out,
                      std::ostream& err);

}  // namespace server
