// common::ascii_run, the word-at-a-time ASCII scan, and mail::to_valid_utf8
// that is built on it.
#include <doctest/doctest.h>

#include <string>

#include "common/ascii.h"
#include "mail/message.h"

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
