// The outbox's EHLO reading and its SASL responses (RFC 4954, 4616).
#include <doctest/doctest.h>

#include "outbox/smtp_auth.h"

TEST_CASE("outbox::parse_ehlo reads STARTTLS, PIPELINING and the AUTH mechanisms") {
  auto caps = outbox::parse_ehlo({"mx.example.com", "PIPELINING", "SIZE 10240000", "STARTTLS",
                                  "AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES"});
  CHECK(caps.starttls);
  CHECK(caps.pipelining);
  CHECK(caps.auth_plain);
  CHECK(caps.auth_login);
}

TEST_CASE("outbox::parse_ehlo: only keywords count, in any case, never the greeting") {
  // A greeting that mentions STARTTLS and AUTH offers neither.
  auto caps = outbox::parse_ehlo({"mx STARTTLS AUTH PLAIN PIPELINING", "SIZE", "8BITMIME"});
  CHECK_FALSE(caps.starttls);
  CHECK_FALSE(caps.auth_plain);
  CHECK_FALSE(caps.pipelining);
  // A keyword inside another one's parameters is no keyword.
  caps = outbox::parse_ehlo({"mx", "X-EXTRA STARTTLS", "XAUTH PLAIN"});
  CHECK_FALSE(caps.starttls);
  CHECK_FALSE(caps.auth_plain);
  caps = outbox::parse_ehlo({"mx", "starttls", "auth cram-md5 login"});
  CHECK(caps.starttls);
  CHECK_FALSE(caps.auth_plain);
  CHECK(caps.auth_login);
  // The old form some relays still send beside the standard one.
  caps = outbox::parse_ehlo({"mx", "AUTH=PLAIN"});
  CHECK(caps.auth_plain);
  CHECK_FALSE(caps.auth_login);
  // After STARTTLS was refused or dropped: nothing.
  caps = outbox::parse_ehlo({"mx", "PIPELINING", "SIZE 1000"});
  CHECK_FALSE(caps.starttls);
  CHECK(outbox::parse_ehlo({}).starttls == false);
}

TEST_CASE("outbox::base64 and sasl_plain give what RFC 4648 and RFC 4616 say") {
  CHECK(outbox::base64("") == "");
  CHECK(outbox::base64("f") == "Zg==");
  CHECK(outbox::base64("fo") == "Zm8=");
  CHECK(outbox::base64("foobar") == "Zm9vYmFy");
  // AUTH LOGIN's prompts, as relays send them.
  CHECK(outbox::base64("Username:") == "VXNlcm5hbWU6");
  CHECK(outbox::base64("Password:") == "UGFzc3dvcmQ6");
  // RFC 4616's example without authzid: "\0tim\0tanstaaftanstaaf".
  CHECK(outbox::sasl_plain("tim", "tanstaaftanstaaf") == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  // UTF-8 and long values stay on one line (no PEM line breaks).
  std::string long_pw(200, 'x');
  auto enc = outbox::sasl_plain("desk@example.com", long_pw + "é");
  CHECK(enc.find('\n') == std::string::npos);
  CHECK(enc.size() == 296);  // 220 bytes: NUL, 16, NUL, 200 and two for é
}
