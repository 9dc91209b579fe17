// command.h: deskmail's command table: each command's group, verb, usage
// line, options, flags, what it needs opened, and its handler.
//
// main looks a command up here (resolve), runs it (execute, in run.h) and
// maps exceptions to exit codes; the usage text is built from this table.
// Handlers live in one file per group (db.cc, project.cc, issue.cc,
// conversation.cc, outbox.cc) and call desk::Desk for everything a rule
// decides; only the db and outbox groups call the store directly.
#pragma once

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/args.h"

namespace config {
struct Config;
}
namespace store {
class Store;
}
namespace desk {
class Desk;
}

namespace cli {

/// What must be open before a handler runs.
enum class Needs {
  config,  // the configuration only (db copy opens stores itself)
  store,   // the store, at whatever schema version (db init, migrate, ...)
  desk,    // the store at this program's schema version, and the desk over it
};

struct Command;

/// What a handler works with; the pointers are set as the command's Needs say.
struct Context {
  const Command& command;
  const Args& args;
  const config::Config& cfg;
  store::Store* store = nullptr;
  desk::Desk* desk = nullptr;
  std::ostream& out;
  std::ostream& err;
};

/// Runs the command; returns the exit status. Throws UsageError for a wrong
/// call, desk::Invalid for input the rules refuse, anything else for errors.
using Handler = int (*)(const Context&);

struct Command {
  std::string_view group;
  /// Empty: the command has no verb; the word after the group (a REF) is
  /// taken as it stands as the first positional ("deskmail close REF").
  std::string_view verb;
  /// Its line in the usage text, without the indent. Commands that share a
  /// line repeat it ("db init | db migrate | ..."); it is printed once.
  std::string_view usage;
  std::vector<std::string> options;  // --name VALUE
  std::vector<std::string> flags;    // --name
  Needs needs = Needs::desk;
  Handler run = nullptr;
};

/// Every command, in the order of the usage text.
std::span<const Command> commands();

/// A command found for a command line, with its arguments parsed.
struct Call {
  const Command* command = nullptr;
  Args args;
};

/// The group was given without a verb, or with one it does not have: main
/// shows the group's usage (exit status 2).
class GroupUsage : public UsageError {
 public:
  GroupUsage(std::string group, const std::string& message)
      : UsageError(message), group_(std::move(group)) {}
  const std::string& group() const { return group_; }

 private:
  std::string group_;
};

/// Finds the command `words` (GROUP [VERB] ARGS...) names in `table` and
/// parses its arguments. Throws UsageError (no command, unknown command, bad
/// arguments) or GroupUsage (a known group, no or an unknown verb).
Call resolve(std::span<const Command> table, const std::vector<std::string>& words);

/// The usage text: a header line, then each distinct usage line of `table`.
std::string usage(std::span<const Command> table);
/// The same, with only the lines of `group`'s commands.
std::string group_usage(std::span<const Command> table, std::string_view group);

}  // namespace cli
