// common/ascii.h: ASCII-only case folding (other bytes pass unchanged), and
// common::ascii_run, the word-at-a-time ASCII scan, with mail::to_valid_utf8
// that is built on it.
#include <doctest/doctest.h>

#include <string>

#include "common/ascii.h"
#include "mail/message.h"

TEST_CASE("ascii: folding touches A-Z and a-z only") {
  CHECK(common::lower("MAIL From:<A@B.ORG>") == "mail from:<a@b.org>");
  CHECK(common::upper("rcpt to:<x@y>") == "RCPT TO:<X@Y>");
  // UTF-8 and the bytes next to the letters stay as they are.
  CHECK(common::lower("\xc3\x84@[\\]^_`{|}") == "\xc3\x84@[\\]^_`{|}");
  CHECK(common::upper("\xc3\xa4@[\\]^_`{|}") == "\xc3\xa4@[\\]^_`{|}");
  std::string s = "Content-TYPE";
  common::lower_in_place(s);
  CHECK(s == "content-type");
}

TEST_CASE("ascii: comparisons ignore ASCII case only") {
  struct Case {
    const char* a;
    const char* b;
    bool equal;
  } cases[] = {
      {"X-Spam-Flag", "x-spam-flag", true},
      {"", "", true},
      {"abc", "abd", false},
      {"abc", "ab", false},
      {"\xc3\x84", "\xc3\xa4", false},  // not Unicode folding
      {"@", "`", false},                // 0x40 and 0x60 differ by the case bit only
      {"[", "{", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.a);
    CHECK(common::iequals(c.a, c.b) == c.equal);
  }
  CHECK(common::istarts_with("FROM:<a@b>", "from:"));
  CHECK(common::istarts_with("from:", "FROM:"));
  CHECK_FALSE(common::istarts_with("FRO", "from:"));
  CHECK_FALSE(common::istarts_with("TO:<a@b>", "from:"));
}

TEST_CASE("ascii: an HTML body's script ends at its close tag in any case") {
  CHECK(mail::html_to_text("<p>a</p><SCRIPT>x()</script><p>b</p>").find("b") != std::string::npos);
  CHECK(mail::html_to_text("<p>a</p><script>x()</SCRIPT><p>b</p>").find("x()") ==
        std::string::npos);
}

// The word-at-a-time ASCII run stops exactly at the first NUL or 8-bit
// byte, wherever it falls in or across the eight-byte words.
TEST_CASE("common::ascii_run stops at the first NUL or 8-bit byte") {
  for (std::size_t len = 0; len <= 20; ++len) {
    std::string plain(len, 'a');
    CHECK(common::ascii_run(plain) == len);
    for (std::size_t at = 0; at < len; ++at)
      for (char bad : {'\0', '\x80', '\xff', '\xc3'}) {
        std::string s = plain;
        s[at] = bad;
        CHECK(common::ascii_run(s) == at);
      }
  }
  CHECK(common::ascii_run("\x7f\x01 ~") == 4);
  // Text with 8-bit characters late in it: still found, still repaired.
  std::string late = std::string(1000, 'x') + "caf\xe9";
  CHECK(mail::to_valid_utf8(late) == std::string(1000, 'x') + "caf\xef\xbf\xbd");
  std::string nul = std::string(17, 'y') + std::string("\0z", 2);
  CHECK(mail::to_valid_utf8(nul) == std::string(17, 'y') + "z");
}
