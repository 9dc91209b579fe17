// Config errors: each names the file, line and column.
#include <doctest/doctest.h>

#include "config/config.h"

namespace {
const std::string kGood =
    "listen: [\"tcp:127.0.0.1:2424\", \"unix:/run/deskmail/lmtp.sock\"]\n"
    "address: desk@support.example.com\n"
    "database: \"sqlite3://db=/var/lib/deskmail/deskmail.db\"\n"
    "limits: { message_size: 26214400, recipients: 100, connections: 200 }\n";

std::string error_of(const std::string& text) {
  try {
    config::load_string(text, "t.yaml");
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("config: the documented example loads with its values") {
  auto c = config::load_string(kGood, "t.yaml");
  REQUIRE(c.listen.size() == 2);
  CHECK(c.listen[0].kind == config::Listen::Kind::tcp);
  CHECK(c.listen[0].host == "127.0.0.1");
  CHECK(c.listen[0].port == 2424);
  CHECK(c.listen[1].kind == config::Listen::Kind::unix_socket);
  CHECK(c.listen[1].path == "/run/deskmail/lmtp.sock");
  CHECK(c.base_local() == "desk");
  CHECK(c.base_domain() == "support.example.com");
  CHECK(c.limits.message_size == 26214400);
  CHECK(c.limits.recipients == 100);
  CHECK(c.limits.connections == 200);
  CHECK(c.timeouts.idle.count() == 300);
  CHECK(c.timeouts.store_wait.count() == 30);
  CHECK(c.bare_lf == config::BareLf::normalize);
}

TEST_CASE("config: errors name file, line and column") {
  struct {
    const char* name;
    std::string text;
    const char* expect;  // substring of the error
  } cases[] = {
      {"unknown top key", kGood + "colour: blue\n", "t.yaml:5:1: unknown key 'colour'"},
      {"unknown nested key", kGood + "timeouts: { idle: 3, nap: 4 }\n",
       "t.yaml:5:22: unknown key 'nap' in timeouts"},
      {"duplicate key", kGood + "address: x@y.z\n", "t.yaml:5:1: duplicate key 'address'"},
      {"wrong type",
       "listen: [\"tcp:127.0.0.1:1\"]\naddress: a@b.c\ndatabase: sqlite3://db=x\n"
       "limits: { recipients: lots }\n",
       "t.yaml:4:23: limits.recipients must be a non-negative integer"},
      {"out of range",
       "listen: [\"tcp:127.0.0.1:1\"]\naddress: a@b.c\ndatabase: sqlite3://db=x\n"
       "limits: { recipients: 0 }\n",
       "t.yaml:4:23: limits.recipients must be between 1"},
      {"bad listen", "listen: [\"tcp:127.0.0.1\"]\naddress: a@b.c\ndatabase: sqlite3://db=x\n",
       "t.yaml:1:10: listen 'tcp:127.0.0.1'"},
      {"relative unix path",
       "listen: [\"unix:x.sock\"]\naddress: a@b.c\ndatabase: sqlite3://db=x\n", "must be absolute"},
      {"address with plus",
       "listen: [\"tcp:127.0.0.1:1\"]\naddress: a+b@c.d\ndatabase: sqlite3://db=x\n",
       "t.yaml:2:10: address must look like"},
      {"bad database", "listen: [\"tcp:127.0.0.1:1\"]\naddress: a@b.c\ndatabase: mysql://x\n",
       "t.yaml:3:11: database must start with"},
      {"missing address", "listen: [\"tcp:127.0.0.1:1\"]\ndatabase: sqlite3://db=x\n",
       "missing required key 'address'"},
      {"bad bare_lf", kGood + "bare_lf: maybe\n",
       "t.yaml:5:10: bare_lf must be normalize or reject"},
      {"yaml syntax", "listen: [\n", "t.yaml:2:1:"},
      {"empty file", "", "t.yaml:1:1: the file is empty"},
      {"not a map", "- a\n- b\n", "the top level must be a mapping"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    std::string err = error_of(c.text);
    CHECK(err.find(c.expect) != std::string::npos);
    if (err.find(c.expect) == std::string::npos) MESSAGE(err);
  }
}

TEST_CASE("config: several errors are all reported") {
  std::string err = error_of(kGood + "a: 1\nb: 2\n");
  CHECK(err.find(":5:1: unknown key 'a'") != std::string::npos);
  CHECK(err.find(":6:1: unknown key 'b'") != std::string::npos);
}
