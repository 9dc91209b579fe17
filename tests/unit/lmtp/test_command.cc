// Table-driven cases for the LMTP command line parser.
#include <doctest/doctest.h>

#include "lmtp/command.h"

using lmtp::Verb;

TEST_CASE("parse_command: verbs") {
  struct {
    const char* line;
    Verb verb;
    const char* args;
  } cases[] = {
      {"LHLO mx.example", Verb::lhlo, "mx.example"},
      {"lhlo mx.example", Verb::lhlo, "mx.example"},
      {"HELO x", Verb::helo, "x"},
      {"EHLO x", Verb::ehlo, "x"},
      {"MAIL FROM:<a@b>", Verb::mail, "FROM:<a@b>"},
      {"RCPT TO:<a@b>  ", Verb::rcpt, "TO:<a@b>"},
      {"DATA", Verb::data, ""},
      {"RSET", Verb::rset, ""},
      {"NOOP", Verb::noop, ""},
      {"QUIT", Verb::quit, ""},
      {"BDAT 10 LAST", Verb::unimplemented, "10 LAST"},
      {"STARTTLS", Verb::unimplemented, ""},
      {"FOO bar", Verb::unknown, "bar"},
      {"", Verb::unknown, ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    auto cmd = lmtp::parse_command(c.line);
    CHECK(cmd.verb == c.verb);
    CHECK(cmd.args == c.args);
  }
}

TEST_CASE("parse_path_args: valid and invalid paths") {
  struct {
    const char* args;
    const char* prefix;
    bool ok;
    const char* path;
    std::size_t params;
  } cases[] = {
      {"FROM:<a@b.example>", "FROM:", true, "a@b.example", 0},
      {"from:<a@b.example>", "FROM:", true, "a@b.example", 0},
      {"FROM: <a@b.example>", "FROM:", true, "a@b.example", 0},
      {"FROM:<>", "FROM:", true, "", 0},
      {"FROM:<a@b> SIZE=100 BODY=8BITMIME", "FROM:", true, "a@b", 2},
      {"FROM:<a@b> SMTPUTF8", "FROM:", true, "a@b", 1},
      {"TO:<@relay.example:desk+x@d.example>", "TO:", true, "desk+x@d.example", 0},
      {"TO:<\"desk+x\"@d.example>", "TO:", true, "\"desk+x\"@d.example", 0},
      {"TO:<\"a>b\"@d>", "TO:", true, "\"a>b\"@d", 0},
      {"TO:<jörg@d.example>", "TO:", true, "jörg@d.example", 0},
      {"TO:a@b", "TO:", false, "", 0},
      {"TO:<a@b", "TO:", false, "", 0},
      {"FROM:<a@b>", "TO:", false, "", 0},
      {"TO:<a@b>x", "TO:", false, "", 0},
      {"TO:<a\x01@b>", "TO:", false, "", 0},
      {"TO:<@relay.example>", "TO:", false, "", 0},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args);
    auto p = lmtp::parse_path_args(c.args, c.prefix);
    REQUIRE(p.has_value() == c.ok);
    if (!c.ok) continue;
    CHECK(p->path == c.path);
    CHECK(p->params.size() == c.params);
  }
}

TEST_CASE("parse_path_args: parameter keywords and values") {
  auto p = lmtp::parse_path_args("FROM:<a@b> size=42 Body=7BIT SMTPUTF8", "FROM:");
  REQUIRE(p);
  REQUIRE(p->params.size() == 3);
  CHECK(p->params[0].keyword == "SIZE");
  CHECK(p->params[0].value == "42");
  CHECK(p->params[1].keyword == "BODY");
  CHECK(p->params[2].keyword == "SMTPUTF8");
  CHECK_FALSE(p->params[2].has_value);
}
