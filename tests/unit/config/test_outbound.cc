// The outbound keys for a relay that wants TLS and a login: values, errors,
// and the password file that only its owner may read.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "config/config.h"

namespace {

const std::string kBase =
    "listen: [\"tcp:127.0.0.1:2424\"]\n"
    "address: desk@support.example.com\n"
    "database: \"sqlite3://db=/tmp/x.db\"\n";

// A file with `text` and `mode` in a scratch directory, removed at the end.
struct TempFile {
  std::string path;
  TempFile(const std::string& text, mode_t mode) {
    char tmpl[] = "/tmp/deskmail-secret-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    close(fd);
    path = tmpl;
    chmod(path.c_str(), mode);
  }
  ~TempFile() { unlink(path.c_str()); }
};

std::string error_of(const std::string& text) {
  try {
    config::load_string(text, "t.yaml");
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("config outbound: plain SMTP by default, TLS verified when asked") {
  auto c = config::load_string(kBase, "t.yaml");
  CHECK(c.outbound.tls == config::Outbound::Tls::none);
  CHECK(c.outbound.tls_verify);
  CHECK(c.outbound.username.empty());
  CHECK_FALSE(c.outbound.allow_plaintext_auth);
  TempFile pw("s3cret pass\nsecond line ignored\n", 0600);
  c = config::load_string(kBase +
                              "outbound: { relay: \"smtp.example.com:587\", tls: starttls, "
                              "username: desk@example.com, password_file: " +
                              pw.path + " }\n",
                          "t.yaml");
  CHECK(c.outbound.tls == config::Outbound::Tls::starttls);
  CHECK(c.outbound.relay_port == 587);
  CHECK(c.outbound.username == "desk@example.com");
  CHECK(c.outbound.password == "s3cret pass");
  CHECK(c.outbound.tls_verify);
  c = config::load_string(
      kBase + "outbound: { tls: tls, tls_verify: off, ca_file: " + pw.path + " }\n", "t.yaml");
  CHECK(c.outbound.tls == config::Outbound::Tls::tls);
  CHECK_FALSE(c.outbound.tls_verify);
  CHECK(c.outbound.ca_file == pw.path);
}

TEST_CASE("config outbound: a password file others may read is refused, the password never shown") {
  for (mode_t mode : {0644, 0640, 0604, 0620}) {
    TempFile pw("hunter2-do-not-show\n", mode);
    auto err = error_of(
        kBase + "outbound: { tls: starttls, username: u, password_file: " + pw.path + " }\n");
    CAPTURE(mode);
    CHECK(err.find("t.yaml:4:") != std::string::npos);
    CHECK(err.find("is open to others than its owner") != std::string::npos);
    CHECK(err.find("chmod 600") != std::string::npos);
    CHECK(err.find("hunter2") == std::string::npos);
  }
  TempFile crlf("pw\r\n", 0600);
  auto c = config::load_string(
      kBase + "outbound: { tls: tls, username: u, password_file: " + crlf.path + " }\n", "t.yaml");
  CHECK(c.outbound.password == "pw");
}

TEST_CASE("config outbound: errors name the key") {
  TempFile pw("pw\n", 0600);
  TempFile empty("\nlater\n", 0600);
  struct {
    std::string outbound;
    const char* expect;
  } cases[] = {
      {"{ tls: ssl }", "outbound.tls must be starttls, tls or none"},
      {"{ tls_verify: maybe }", "outbound.tls_verify must be on or off"},
      {"{ ca_file: /nonexistent/ca.pem }", "outbound.ca_file '/nonexistent/ca.pem': No such file"},
      {"{ tls: tls, username: u, password_file: /nonexistent/pw }",
       "outbound.password_file '/nonexistent/pw': No such file"},
      {"{ tls: tls, username: u, password_file: " + empty.path + " }", "is empty"},
      {"{ tls: tls, username: u, password_file: /tmp }", "is not a regular file"},
      {"{ tls: tls, username: u }", "outbound.username and outbound.password_file go together"},
      {"{ tls: tls, password_file: " + pw.path + " }", "go together"},
      {"{ username: u, password_file: " + pw.path + " }", "would send the password in clear"},
      {"{ tls: tls, username: \"a\\nb\", password_file: " + pw.path + " }",
       "outbound.username must not contain control characters"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.outbound);
    auto err = error_of(kBase + "outbound: " + c.outbound + "\n");
    CHECK(err.find("t.yaml:4:") != std::string::npos);
    CHECK(err.find(c.expect) != std::string::npos);
  }
  // The password in clear only when the admin says so.
  auto c = config::load_string(kBase + "outbound: { username: u, password_file: " + pw.path +
                                   ", allow_plaintext_auth: on }\n",
                               "t.yaml");
  CHECK(c.outbound.allow_plaintext_auth);
  CHECK(c.outbound.password == "pw");
}
