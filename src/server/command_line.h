// command_line.h: deskmaild's arguments.
//
//   deskmaild -c /etc/deskmail/deskmail.yaml          run in the foreground
//   deskmaild -c FILE --check-config [--relay]        check the file and its
//                                                     environment, and exit
//   deskmaild -c FILE --check-config --syntax-only    the file alone
//   deskmaild --version
#pragma once

#include <ostream>
#include <string>

namespace server {

struct Invocation {
  enum class Action { run, check_config, version, help, bad_argument } action = Action::run;
  /// -c FILE, else $DESKMAIL_CONFIG, else /etc/deskmail/deskmail.yaml.
  std::string config = "/etc/deskmail/deskmail.yaml";
  bool relay = false;        // --relay: an unreachable relay fails the check
  bool syntax_only = false;  // --syntax-only: the file, not the environment
  std::string bad;           // the argument that was not understood
};

/// Reads argv; `env_config` is $DESKMAIL_CONFIG (null when unset).
Invocation parse_command_line(int argc, const char* const* argv, const char* env_config);

/// The usage text.
void print_usage(std::ostream& out);

}  // namespace server
