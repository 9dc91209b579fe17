// test_rfc2047.cc: adjacent encoded words joined before decoding (mail/rfc2047.h).
#include <doctest/doctest.h>
#include <gmime/gmime.h>

#include "mail/rfc2047.h"

namespace {

struct Case {
  const char* label;
  const char* raw;
  const char* text;
};

// "Заказ н" is 0xD0 0x97 ... ; each case cuts a character between words.
const Case kCases[] = {
    {"plain text untouched", "Printer on fire", "Printer on fire"},
    {"one word", "=?UTF-8?B?0JfQsNC60LDQtw==?=", "Заказ"},
    {"B/B, padding in the first word", "=?UTF-8?B?0JfQsNC60LDQ?= =?UTF-8?B?tyDQvQ==?=", "Заказ н"},
    {"B/B cut inside a character, padded",
     "=?UTF-8?B?0JfQsNC60A==?=\r\n =?UTF-8?B?sNC3?=", "Заказ"},
    {"B/Q cut inside a character", "=?UTF-8?B?0JfQsNC60A==?= =?utf-8?Q?=B0=D0=B7?=", "Заказ"},
    {"Q/Q cut inside a character", "=?utf-8?q?=D0?=\t=?UTF-8?Q?=97_x?=", "З x"},
    {"a word then text keeps the space", "=?UTF-8?B?0JfQsA==?= text", "За text"},
    {"text between words is not white space", "=?UTF-8?B?0Jc=?= - =?UTF-8?B?0LA=?=", "З - а"},
    {"different charsets stay apart", "=?iso-8859-1?q?=E9?= =?UTF-8?B?w6k=?=", "éé"},
    {"language suffix (RFC 2231)", "=?UTF-8*ru?B?0Jc=?= =?utf-8*RU?B?0LA=?=", "За"},
    {"a broken word is left as text", "=?UTF-8?X?abc?= =?UTF-8?B?0Jc=?=", "=?UTF-8?X?abc?= З"},
    {"unterminated word", "=?UTF-8?B?0Jc", "=?UTF-8?B?0Jc"},
};

}  // namespace

TEST_CASE("mail::decode_header_text joins adjacent encoded words of one charset") {
  g_mime_init();
  for (const auto& c : kCases) {
    CAPTURE(c.label);
    CHECK(mail::decode_header_text(c.raw) == c.text);
  }
}

TEST_CASE("mail::join_encoded_words leaves lone words and plain text byte for byte") {
  CHECK(mail::join_encoded_words("=?UTF-8?B?0Jc=?= text") == "=?UTF-8?B?0Jc=?= text");
  CHECK(mail::join_encoded_words("a =?b?c") == "a =?b?c");
  CHECK(mail::join_encoded_words("") == "");
  CHECK(mail::join_encoded_words("=?UTF-8?Q?a?= =?UTF-8?Q?b?=") == "=?UTF-8?B?YWI=?=");
}
