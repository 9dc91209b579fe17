// Spam verdicts and the structural pre-scan, table-driven.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "delivery/deliverer.h"
#include "mail/message.h"
#include "mail/scan.h"
#include "spam/spam.h"
#include "store/dialect.h"

namespace {
using Headers = std::vector<std::pair<std::string, std::string>>;
}

TEST_CASE("spam::assess: SpamAssassin, Rspamd and Exim fields") {
  spam::Policy p;
  struct {
    const char* name;
    Headers h;
    bool spam;
  } cases[] = {
      {"SA flag yes", {{"X-Spam-Flag", "YES"}}, true},
      {"SA flag no", {{"X-Spam-Flag", "NO"}}, false},
      {"SA status yes", {{"X-Spam-Status", "Yes, score=1002.3 required=5.0 tests=GTUBE"}}, true},
      {"SA status no, low", {{"X-Spam-Status", "No, score=-1.0 required=5.0"}}, false},
      {"SA status no but over our threshold",
       {{"X-Spam-Status", "No, score=6.1 required=8.0"}},
       true},
      {"SA score only", {{"X-Spam-Score", "7.5"}}, true},
      {"SA score low", {{"X-Spam-Score", "2.5"}}, false},
      {"SA level stars", {{"X-Spam-Level", "*******"}}, true},
      {"SA level few", {{"X-Spam-Level", "**"}}, false},
      {"Rspamd X-Spam", {{"X-Spam", "Yes"}}, true},
      {"Rspamd action add header", {{"X-Rspamd-Action", "add header"}}, true},
      {"Rspamd action no action", {{"X-Rspamd-Action", "no action"}}, false},
      {"Rspamd result true",
       {{"X-Spamd-Result", "default: True [12.30 / 15.00]; GTUBE(0.00)"}},
       true},
      {"Rspamd result false", {{"X-Spamd-Result", "default: False [1.30 / 15.00]"}}, false},
      {"Exim bar", {{"X-Spam-Bar", "++++++++"}}, true},
      {"Exim bar negative", {{"X-Spam-Bar", "---"}}, false},
      {"nothing", {{"Subject", "X-Spam-Flag: YES"}}, false},
      {"garbage values", {{"X-Spam-Score", "lots"}, {"X-Spam-Status", "maybe"}}, false},
      {"forged NO below the MTA's YES", {{"X-Spam-Flag", "YES"}, {"X-Spam-Flag", "NO"}}, true},
      {"forged YES below the MTA's NO (topmost wins)",
       {{"X-Spam-Flag", "NO"}, {"X-Spam-Flag", "YES"}},
       false},
      {"case-insensitive names", {{"x-spam-flag", "yes"}}, true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(spam::assess(c.h, p).spam == c.spam);
  }
}

TEST_CASE("spam::assess: trust all, chosen headers, threshold") {
  spam::Policy p;
  p.trust = spam::Trust::all;
  CHECK(spam::assess({{"X-Spam-Flag", "NO"}, {"X-Spam-Flag", "YES"}}, p).spam);
  p.trust = spam::Trust::topmost;
  p.headers = {"X-Spam-Status"};
  CHECK_FALSE(spam::assess({{"X-Spam-Flag", "YES"}}, p).spam);
  p.headers.clear();
  p.threshold = 10;
  CHECK_FALSE(spam::assess({{"X-Spam-Score", "7.5"}}, p).spam);
  auto v = spam::assess({{"X-Spam-Flag", "YES"}}, p);
  CHECK(v.reason.find("X-Spam-Flag") != std::string::npos);
}

namespace {
std::string nested(std::size_t depth) {
  std::string s = "From: a@b\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
  for (std::size_t i = 1; i <= depth; ++i)
    s += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=\"b" +
         std::to_string(i) + "\"\r\n\r\n";
  return s;
}
}  // namespace

TEST_CASE("mail::scan: limits") {
  mail::ScanLimits lim;
  using V = mail::Scan::Verdict;
  std::string many_parts = "Content-Type: multipart/mixed; boundary=x\r\n\r\n";
  for (int i = 0; i < 1001; ++i) many_parts += "--x\r\n\r\n";
  std::string received;
  for (int i = 0; i < 51; ++i) received += "Received: from x by y\r\n";
  std::string to = "To: ";
  for (int i = 0; i < 1001; ++i) to += "a" + std::to_string(i) + "@x, ";
  std::string many_headers;
  for (int i = 0; i < 1001; ++i) many_headers += "X-A: b\r\n";
  struct {
    const char* name;
    std::string raw;
    V verdict;
  } cases[] = {
      {"plain", "Subject: x\r\n\r\nbody\r\n", V::ok},
      {"depth 50 ok", nested(49), V::ok},
      {"depth 51", nested(60), V::too_deep},
      {"1001 parts", many_parts, V::too_many_parts},
      {"51 Received", received + "\r\nbody\r\n", V::too_many_hops},
      {"1001 addresses", to + "\r\n\r\nx\r\n", V::too_many_addresses},
      {"1001 header fields", many_headers + "\r\nx\r\n", V::too_many_headers},
      {"header block 300 KiB", "X-Long: " + std::string(300 * 1024, 'a') + "\r\n\r\n",
       V::too_big_header},
      {"2 MB body line", "S: x\r\n\r\n" + std::string(2 << 20, 'b') + "\r\n", V::line_too_long},
      {"no header end", "Subject: only headers", V::ok},
      {"empty", "", V::ok},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(mail::scan(c.raw, lim).verdict == c.verdict);
  }
}

TEST_CASE("mail::scan: the depth of siblings is not nesting") {
  std::string s = "Content-Type: multipart/mixed; boundary=o\r\n\r\n";
  for (int i = 0; i < 200; ++i)
    s += "--o\r\nContent-Type: multipart/alternative; boundary=i" + std::to_string(i) +
         "\r\n\r\n--i" + std::to_string(i) + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--i" +
         std::to_string(i) + "--\r\n";
  s += "--o--\r\n";
  mail::ScanLimits lim;
  auto r = mail::scan(s, lim);
  CHECK(r.verdict == mail::Scan::Verdict::ok);
  CHECK(r.depth == 2);
}

TEST_CASE("mail::scan collects top-level headers in order, unfolded") {
  auto r = mail::scan(
      "X-Spam-Flag: YES\r\nSubject: a\r\n b\r\nX-Spam-Flag: NO\r\n\r\nX-Not: body\r\n", {});
  REQUIRE(r.headers.size() == 3);
  CHECK(r.headers[0].second == "YES");
  CHECK(r.headers[1].second == "a b");
  CHECK(mail::first_header(r, "x-spam-flag") == "YES");
}

TEST_CASE("mail::strip_headers removes our internal fields, continuation lines included") {
  bool stripped = false;
  std::string out = mail::strip_headers(
      "A: 1\r\nX-Deskmail-Loop: x\r\n y\r\nB: 2\r\n\r\nX-Deskmail-Body: stays\r\n", "X-Deskmail-",
      &stripped);
  CHECK(stripped);
  CHECK(out == "A: 1\r\nB: 2\r\n\r\nX-Deskmail-Body: stays\r\n");
}

// Found by fuzz_ingest: the spam reason quoted the verdict header's raw
// bytes (a NUL here) into a field the store keeps as text.
TEST_CASE("delivery: a spam reason is clean text whatever the header held") {
  mail::init();
  boost::asio::io_context io;
  std::string tmpl = "/tmp/deskmail-unit-" + std::string(6, 'X');
  std::string dir = mkdtemp(tmpl.data());
  {
    auto st = store::open("sqlite3://db=" + dir + "/t.db", std::chrono::milliseconds(1000));
    delivery::Deliverer d(io.get_executor(), io.get_executor(), *st,
                          route::Base{"desk", "support.example.com", '+'});
    d.log = [](const std::string&) {};
    lmtp::Envelope env;
    env.mail_from = "bob@example.org";
    env.recipients = {"desk+acme@support.example.com"};
    static const char raw[] =
        "From: bob@example.org\r\nSubject: x\r\nX-Spam: false\x00\x00\xff]]]]\r\n\r\nbody\r\n";
    auto msg = common::bytes_of(std::string(raw, sizeof raw - 1));
    auto p = d.prepare(env, msg);
    REQUIRE(p.inbound);
    INFO(p.inbound->spam_reason);
    CHECK_FALSE(p.inbound->spam_reason.empty());
    CHECK(store::is_clean_text(p.inbound->spam_reason));
  }
  std::filesystem::remove_all(dir);
}
