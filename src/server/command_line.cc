// command_line.cc: deskmaild's arguments.
#include "server/command_line.h"

namespace server {

Invocation parse_command_line(int argc, const char* const* argv, const char* env_config) {
  Invocation inv;
  if (env_config) inv.config = env_config;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) {
      inv.config = argv[++i];
    } else if (a == "-t" || a == "--check-config") {
      inv.action = Invocation::Action::check_config;
    } else if (a == "--relay") {
      inv.relay = true;
    } else if (a == "--syntax-only") {
      inv.syntax_only = true;
    } else if (a == "-V" || a == "--version") {
      inv.action = Invocation::Action::version;
      return inv;
    } else if (a == "-h" || a == "--help") {
      inv.action = Invocation::Action::help;
      return inv;
    } else {
      inv.action = Invocation::Action::bad_argument;
      inv.bad = a;
      return inv;
    }
  }
  return inv;
}

void print_usage(std::ostream& out) {
  out << "usage: deskmaild [-c FILE] [--check-config [--relay | --syntax-only]] [--version]\n"
         "  -c, --config FILE   configuration (default /etc/deskmail/deskmail.yaml)\n"
         "  -t, --check-config  check the configuration and its environment, and exit:\n"
         "                      0 ok, 1 syntax, 2 environment, 3 relay (with --relay)\n"
         "  --relay             an unreachable relay fails the check (else a warning)\n"
         "  --syntax-only       check the file alone\n"
         "  -V, --version       print the version and exit\n";
}

}  // namespace server
