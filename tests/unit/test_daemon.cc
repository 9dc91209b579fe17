// deskmaild's own parts: its command line, and the LMTP layer's reply table
// (every reply the server writes by itself goes through Reply::wire()).
#include <doctest/doctest.h>

#include <initializer_list>
#include <vector>

#include "lmtp/replies.h"
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

TEST_CASE("lmtp: the server's own replies come from the table, scrubbed") {
  using lmtp::Event;
  CHECK(lmtp::reply_for(Event::greeting, "mx.test").wire() ==
        "220 mx.test LMTP deskmail ready\r\n");
  CHECK(lmtp::reply_for(Event::shutting_down, "mx.test").wire() ==
        "421 4.3.2 mx.test shutting down\r\n");
  CHECK(lmtp::reply_for(Event::too_many_connections, "mx").wire() ==
        "421 4.3.2 mx too many connections, try again later\r\n");
  CHECK(lmtp::reply_for(Event::store_unavailable, "mx").wire() ==
        "421 4.3.0 mx mail store unavailable, try again later\r\n");
  CHECK(lmtp::reply_for(Event::idle_timeout, "mx").wire() ==
        "421 4.4.2 mx timeout, closing connection\r\n");
  CHECK(lmtp::reply_for(Event::too_many_errors, "mx").wire() ==
        "421 4.7.0 mx too many errors, closing connection\r\n");
  CHECK(lmtp::reply_for(Event::closing, "mx").wire() == "221 2.0.0 mx closing connection\r\n");
  CHECK(lmtp::reply_for(Event::spool_unreadable).wire() ==
        "451 4.3.0 Cannot read the spooled message, try again later\r\n");
  // A host name with a line break cannot end the reply early.
  CHECK(lmtp::reply_for(Event::shutting_down, "a\r\n250 b").wire() ==
        "421 4.3.2 a  250 b shutting down\r\n");
}
