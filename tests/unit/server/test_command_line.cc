// deskmaild's command line (server/command_line.h).
#include <doctest/doctest.h>

#include <initializer_list>
#include <vector>

#include "server/command_line.h"

namespace {

server::Invocation parse(std::initializer_list<const char*> args, const char* env = nullptr) {
  std::vector<const char*> argv{"deskmaild"};
  argv.insert(argv.end(), args.begin(), args.end());
  return server::parse_command_line(static_cast<int>(argv.size()), argv.data(), env);
}

}  // namespace

TEST_CASE("deskmaild: command line") {
  using A = server::Invocation::Action;
  CHECK(parse({}).action == A::run);
  CHECK(parse({}).config == "/etc/deskmail/deskmail.yaml");
  CHECK(parse({}, "/env.yaml").config == "/env.yaml");
  CHECK(parse({"-c", "/x.yaml"}, "/env.yaml").config == "/x.yaml");
  CHECK(parse({"--config", "/x.yaml", "-t"}).action == A::check_config);
  CHECK(parse({"--check-config", "-c", "/y"}).config == "/y");
  CHECK(parse({"-V"}).action == A::version);
  CHECK(parse({"--help"}).action == A::help);
  auto bad = parse({"-c"});  // no file after -c
  CHECK(bad.action == A::bad_argument);
  CHECK(bad.bad == "-c");
  CHECK(parse({"--verbose"}).bad == "--verbose");
}
