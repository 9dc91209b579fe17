// Config errors: each names the file, line and column.
#include <doctest/doctest.h>

#include <algorithm>

#include "config/config.h"
#include "load.h"

namespace {
const std::string kGood =
    "listen: [\"tcp:127.0.0.1:2424\", \"unix:/run/deskmail/lmtp.sock\"]\n"
    "address: desk@support.example.com\n"
    "database: \"sqlite3://db=/var/lib/deskmail/deskmail.db\"\n"
    "limits: { message_size: 26214400, recipients: 100, connections: 200 }\n";

using unit::config_error;
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
    std::string err = config_error(c.text);
    CHECK(err.find(c.expect) != std::string::npos);
    if (err.find(c.expect) == std::string::npos) MESSAGE(err);
  }
}

TEST_CASE("config: several errors are all reported") {
  std::string err = config_error(kGood + "a: 1\nb: 2\n");
  CHECK(err.find(":5:1: unknown key 'a'") != std::string::npos);
  CHECK(err.find(":6:1: unknown key 'b'") != std::string::npos);
}

namespace {
const std::string kRest =
    "address: desk@support.example.com\n"
    "database: \"sqlite3://db=/var/lib/deskmail/deskmail.db\"\n";
}  // namespace

TEST_CASE("config: listen entries as strings and as unix_listener mappings") {
  auto c = config::load_string(
      "listen:\n"
      "  - unix:/run/deskmail/plain.sock\n"
      "  - { unix: /run/deskmail/lmtp.sock, user: postfix, group: postfix, mode: \"0600\" }\n"
      "  - unix: /var/spool/postfix/deskmail/lmtp.sock\n"
      "    group: Debian-exim\n"
      "  - \"tcp:[::1]:2424\"\n" +
          kRest + "socket_mode: \"0640\"\n",
      "t.yaml");
  REQUIRE(c.listen.size() == 4);
  CHECK(c.listen[0].kind == config::Listen::Kind::unix_socket);
  CHECK(c.listen[0].path == "/run/deskmail/plain.sock");
  CHECK(c.listen[0].user.empty());
  CHECK(c.listen[0].group.empty());
  CHECK_FALSE(c.listen[0].mode.has_value());
  CHECK(c.listen[1].kind == config::Listen::Kind::unix_socket);
  CHECK(c.listen[1].path == "/run/deskmail/lmtp.sock");
  CHECK(c.listen[1].spec == "unix:/run/deskmail/lmtp.sock");
  CHECK(c.listen[1].user == "postfix");
  CHECK(c.listen[1].group == "postfix");
  REQUIRE(c.listen[1].mode.has_value());
  CHECK(*c.listen[1].mode == 0600);
  CHECK(c.listen[2].path == "/var/spool/postfix/deskmail/lmtp.sock");
  CHECK(c.listen[2].user.empty());
  CHECK(c.listen[2].group == "Debian-exim");
  CHECK_FALSE(c.listen[2].mode.has_value());
  CHECK(c.listen[3].kind == config::Listen::Kind::tcp);
  CHECK(c.listen[3].host == "::1");
  CHECK(c.socket_mode == 0640);
}

TEST_CASE("config: listen mapping errors name the line") {
  struct {
    const char* name;
    std::string listen;
    const char* expect;
  } cases[] = {
      {"unknown key", "listen: [{ unix: /run/d.sock, owner: postfix }]\n",
       "t.yaml:1:31: unknown key 'owner' in listen entry (known: group, mode, unix, user)"},
      {"duplicate key", "listen: [{ unix: /run/d.sock, unix: /run/e.sock }]\n",
       "t.yaml:1:31: duplicate key 'unix' in listen entry"},
      {"no path", "listen: [{ user: postfix, mode: \"0600\" }]\n",
       "t.yaml:1:10: a listen mapping needs unix: PATH"},
      {"tcp as a mapping", "listen: [{ tcp: \"127.0.0.1:2424\" }]\n",
       "t.yaml:1:12: unknown key 'tcp' in listen entry"},
      {"relative path", "listen: [{ unix: d.sock }]\n",
       "t.yaml:1:18: listen unix 'd.sock': unix socket path must be absolute"},
      {"path not a string", "listen: [{ unix: [a, b] }]\n",
       "t.yaml:1:18: listen unix must be a string"},
      {"bad mode", "listen: [{ unix: /run/d.sock, mode: \"0999\" }]\n",
       "t.yaml:1:37: listen mode must be an octal mode like \"0600\""},
      {"mode too wide", "listen: [{ unix: /run/d.sock, mode: \"04755\" }]\n",
       "t.yaml:1:37: listen mode must be an octal mode"},
      {"bad user", "listen: [{ unix: /run/d.sock, user: \"post fix\" }]\n",
       "t.yaml:1:37: listen user must be a user name like postfix"},
      {"bad group", "listen: [{ unix: /run/d.sock, group: -x }]\n",
       "t.yaml:1:38: listen group must be a group name like postfix"},
      {"list entry", "listen: [[unix:/run/d.sock]]\n",
       "t.yaml:1:10: listen entry must be a string like"},
      {"bad string entry", "listen: [\"udp:1.2.3.4:5\"]\n",
       "t.yaml:1:10: listen 'udp:1.2.3.4:5': listen entries start with tcp: or unix:"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    std::string err = config_error(c.listen + kRest);
    CHECK(err.find(c.expect) != std::string::npos);
    if (err.find(c.expect) == std::string::npos) MESSAGE(err);
  }
}

TEST_CASE("config: fixes: commits and webhooks, with their ranges") {
  auto d = config::load_string(kGood, "t.yaml");
  CHECK(d.fixes.commits_per_push == 1000);
  CHECK(d.fixes.refs_per_commit == 20);
  CHECK(d.fixes.webhook_body == 5242880);
  auto c = config::load_string(
      kGood + "fixes:\n  commits_per_push: 50\n  refs_per_commit: 3\n  webhook_body: 65536\n",
      "t.yaml");
  CHECK(c.fixes.commits_per_push == 50);
  CHECK(c.fixes.refs_per_commit == 3);
  CHECK(c.fixes.webhook_body == 65536);
  CHECK(unit::config_error(kGood + "fixes: { refs_per_commit: 0 }\n")
            .find("t.yaml:5:27: fixes.refs_per_commit must be between 1 and 1000") !=
        std::string::npos);
  CHECK(unit::config_error(kGood + "fixes: { webhook_body: 10 }\n").find("fixes.webhook_body") !=
        std::string::npos);
  CHECK(
      unit::config_error(kGood + "fixes: { secret: x }\n").find("unknown key 'secret' in fixes") !=
      std::string::npos);
}

TEST_CASE("config: web.metrics: listeners of its own, as web.listen takes them") {
  auto d = config::load_string(kGood, "t.yaml");
  CHECK(d.web.metrics.empty());
  auto c = config::load_string(
      kGood +
          "web: { listen: [\"tcp:127.0.0.1:8025\"], base_url: \"http://127.0.0.1:8025\", "
          "metrics: [\"tcp:127.0.0.1:9125\", \"unix:/run/deskmail/metrics.sock\"] }\n",
      "t.yaml");
  REQUIRE(c.web.metrics.size() == 2);
  CHECK(c.web.metrics[0].kind == config::Listen::Kind::tcp);
  CHECK(c.web.metrics[0].port == 9125);
  CHECK(c.web.metrics[1].path == "/run/deskmail/metrics.sock");
  auto shown = config::show(c);
  auto it = std::find_if(shown.begin(), shown.end(),
                         [](const auto& s) { return s.name == "web.metrics"; });
  REQUIRE(it != shown.end());
  CHECK(it->value.find("tcp:127.0.0.1:9125") != std::string::npos);
  CHECK(unit::config_error(kGood + "web: { metrics: [\"tcp:nohost\"] }\n")
            .find("web.metrics 'tcp:nohost'") != std::string::npos);
  CHECK(unit::config_error(kGood + "web: { metrics: \"tcp:127.0.0.1:9125\" }\n")
            .find("web.metrics must be a list") != std::string::npos);
  CHECK(unit::config_error(kGood + "web: { listen: [\"tcp:127.0.0.1:8025\"], "
                                   "metrics: [\"tcp:127.0.0.1:8025\"] }\n")
            .find("web.metrics 'tcp:127.0.0.1:8025' is also in web.listen") != std::string::npos);
}
