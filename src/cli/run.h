// run.h: running a command that resolve() found: the configuration, the
// store and the desk opened as the command needs, then its handler.
#pragma once

#include <iosfwd>
#include <string>

#include "cli/command.h"

namespace cli {

/// Loads the configuration at `config_path`, opens what `call`'s command
/// needs (for Needs::desk the store must be at this program's schema
/// version: store::Error says to run 'db init' or 'db migrate'), runs the
/// handler and returns its exit status. Exceptions pass through.
int execute(const Call& call, const std::string& config_path, std::ostream& out, std::ostream& err);

}  // namespace cli
