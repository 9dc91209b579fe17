// args.h: the words of a deskmail command line, parsed (no I/O, no store).
//
//   deskmail [-c FILE | --config FILE] [-h] [--version] GROUP [VERB] [ARGS]
//
// The options before the command are parse_global's; what follows the verb
// is parse_args's, against the options and flags the command declares.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cli {

/// The command was called wrongly: shown with the usage, exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The options before the command, and the command's words.
struct Global {
  std::string config;                // -c FILE, else the default given
  bool help = false;                 // -h / --help: print the usage, nothing else
  bool version = false;              // --version / -V
  std::vector<std::string> command;  // GROUP [VERB] [ARGS...]
};

/// Reads the leading options of `argv` (without the program name); the first
/// word that is none of them starts the command. A trailing -c without a
/// file is a command word (and so an unknown command), as it always was.
Global parse_global(const std::vector<std::string>& argv, std::string default_config);

/// A command's arguments after its verb.
struct Args {
  std::vector<std::string> pos;                           // positionals, in order
  std::vector<std::pair<std::string, std::string>> opts;  // name (without --), value
  bool json = false;                                      // --json, taken by every command

  /// The last value given for option `name`; a flag's value is "1".
  std::optional<std::string> get(const std::string& name) const;
  /// Every value given for option `name`, in order (--alias A --alias B).
  std::vector<std::string> all(const std::string& name) const;
  bool has(const std::string& name) const { return get(name).has_value(); }
};

/// Parses `words` against a command's `options` (--name VALUE, --name=VALUE)
/// and `flags` (--name). `-m TEXT` is --message TEXT where the command takes
/// --message. Any other word starting with "--" is a UsageError; everything
/// else, "-" included, is a positional.
Args parse_args(const std::vector<std::string>& words, const std::vector<std::string>& options,
                const std::vector<std::string>& flags);

}  // namespace cli
