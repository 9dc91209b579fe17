// main.cc: deskmail, the command line for admins and responders (deskmail(1)).
//
//   deskmail [-c FILE] COMMAND [ARGS] [--json]      (deskmail -h lists them)
//
// Wiring only: the options before the command, the command looked up in the
// table (command.h), run (run.h), and its failure mapped to an exit status:
// 2 for a usage error (with the usage), 1 for any other error.
#include <cstdlib>
#include <iostream>

#include "cli/command.h"
#include "cli/run.h"
#include "config/config.h"
#include "desk/desk.h"

namespace {

constexpr int kUsage = 2;

int run(const std::vector<std::string>& argv) {
  const char* env = std::getenv("DESKMAIL_CONFIG");
  cli::Global g = cli::parse_global(argv, env ? env : "/etc/deskmail/deskmail.yaml");
  if (g.help) {
    std::cout << cli::usage(cli::commands());
    return 0;
  }
  if (g.version) {
    std::cout << "deskmail " << DESKMAIL_VERSION << "\n";
    return 0;
  }
  cli::Call call = cli::resolve(cli::commands(), g.command);
  return cli::execute(call, g.config, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run({argv + 1, argv + argc});
  } catch (const cli::GroupUsage& e) {
    std::cerr << "deskmail: " << e.what() << "\n" << cli::group_usage(cli::commands(), e.group());
    return kUsage;
  } catch (const cli::UsageError& e) {
    std::cerr << "deskmail: " << e.what() << "\n" << cli::usage(cli::commands());
    return kUsage;
  } catch (const desk::Invalid& e) {
    std::cerr << "deskmail: " << e.what() << "\n" << cli::usage(cli::commands());
    return kUsage;
  } catch (const config::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "deskmail: " << e.what() << "\n";
    return 1;
  }
}
