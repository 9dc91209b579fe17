// The structural pre-scan of a message (limits, top-level headers) and
// the stripping of our internal fields, table-driven.
#include <doctest/doctest.h>

#include <string>

#include "mail/scan.h"

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
