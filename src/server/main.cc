// main.cc: deskmaild, the LMTP delivery daemon (deskmaild(8)). Reads the
// arguments and the configuration, then hands over to server::Daemon.
#include <cstdlib>
#include <iostream>

#include "config/config.h"
#include "server/check.h"
#include "server/command_line.h"
#include "server/daemon.h"

int main(int argc, char** argv) {
  using Action = server::Invocation::Action;
  server::Invocation inv = server::parse_command_line(argc, argv, std::getenv("DESKMAIL_CONFIG"));
  switch (inv.action) {
    case Action::version:
      std::cout << "deskmaild " << DESKMAIL_VERSION << "\n";
      return 0;
    case Action::help:
      server::print_usage(std::cout);
      return 0;
    case Action::bad_argument:
      std::cerr << "deskmaild: unknown argument '" << inv.bad << "'\n";
      server::print_usage(std::cerr);
      return 64;  // EX_USAGE: 1 to 3 are --check-config's
    case Action::run:
    case Action::check_config:
      break;
  }
  config::Config cfg;
  try {
    cfg = config::load(inv.config);
  } catch (const config::Error& e) {
    std::cerr << e.what() << "\n";
    return server::exit_syntax;
  }
  if (inv.action == Action::check_config) {
    std::cout << "ok: " << inv.config << ": syntax\n";
    if (inv.syntax_only) return server::exit_ok;
    server::CheckOptions opts;
    opts.relay_required = inv.relay;
    return server::check_environment(cfg, opts, std::cout, std::cerr);
  }
  auto daemon = server::Daemon::open(inv.config, std::move(cfg));
  return daemon ? daemon->run() : 1;
}
