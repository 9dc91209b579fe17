// The log: section, and `deskmail config show` (config::show, redact).
#include <doctest/doctest.h>

#include <algorithm>

#include "config/config.h"

namespace {

const std::string kBase =
    "listen: [\"unix:/run/deskmail/lmtp.sock\"]\n"
    "address: desk@support.example.com\n"
    "database: \"postgresql://host=db1 dbname=desk user=deskmail password=s3cret\"\n";

std::string error_of(const std::string& text) {
  try {
    config::load_string(text, "t.yaml");
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
}

const config::Shown& find(const std::vector<config::Shown>& v, const std::string& name) {
  auto it = std::find_if(v.begin(), v.end(), [&](const auto& s) { return s.name == name; });
  REQUIRE(it != v.end());
  return *it;
}

}  // namespace

TEST_CASE("config: log section, defaults and values") {
  auto d = config::load_string(kBase, "t.yaml");
  CHECK(d.log.to == config::Log::To::stderr_stream);
  CHECK(d.log.facility == "mail");
  CHECK(d.log.socket == "/dev/log");
  CHECK(d.log.syslog_name == "deskmaild");
  auto c = config::load_string(
      kBase + "log: { to: syslog, facility: local3, socket: /tmp/x.sock, syslog_name: desk/eu }\n",
      "t.yaml");
  CHECK(c.log.to == config::Log::To::syslog);
  CHECK(c.log.facility == "local3");
  CHECK(config::facility_code("local3") == 19);
  CHECK(config::facility_code("mail") == 2);
  CHECK(c.log.socket == "/tmp/x.sock");
  CHECK(c.log.syslog_name == "desk/eu");
}

TEST_CASE("config: log section errors name the line") {
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"log: { to: file }\n", "t.yaml:4:12: log.to must be stderr or syslog"},
      {"log: { facility: kern }\n", "t.yaml:4:18: log.facility must be mail"},
      {"log: { socket: dev/log }\n", "t.yaml:4:16: log.socket must be an absolute path"},
      {"log: { syslog_name: \"a b\" }\n", "t.yaml:4:21: log.syslog_name must be a name"},
      {"log: { level: debug }\n", "t.yaml:4:8: unknown key 'level' in log"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    CHECK(error_of(kBase + c.yaml).find(c.error) != std::string::npos);
  }
}

TEST_CASE("config show: every setting, defaults marked, secrets redacted") {
  auto c = config::load_string(kBase + "limits: { recipients: 7 }\nspam: { action: reject }\n",
                               "t.yaml");
  auto shown = config::show(c);
  CHECK(shown.size() >= 36);
  CHECK(find(shown, "limits.recipients").value == "7");
  CHECK_FALSE(find(shown, "limits.recipients").is_default);
  CHECK(find(shown, "limits.message_size").value == "26214400");
  CHECK(find(shown, "limits.message_size").is_default);
  CHECK(find(shown, "timeouts.idle").value == "300");
  CHECK(find(shown, "spam.action").value == "reject");
  CHECK_FALSE(find(shown, "spam.action").is_default);
  CHECK(find(shown, "outbound.relay").value == "127.0.0.1:25");
  CHECK(find(shown, "log.facility").is_default);
  const auto& db = find(shown, "database");
  CHECK(db.value == "postgresql://host=db1 dbname=desk user=deskmail password=*****");
  CHECK(db.value.find("s3cret") == std::string::npos);
}

TEST_CASE("config show: redact") {
  CHECK(config::redact("sqlite3://db=/var/lib/deskmail/deskmail.db") ==
        "sqlite3://db=/var/lib/deskmail/deskmail.db");
  CHECK(config::redact("postgresql://password='a b' host=x") ==
        "postgresql://password=***** host=x");
  CHECK(config::redact("postgresql://desk:pw@db1/desk") == "postgresql://desk:*****@db1/desk");
  CHECK(config::redact("postgresql://host=x password=p1 user=u password=p2") ==
        "postgresql://host=x password=***** user=u password=*****");
}
