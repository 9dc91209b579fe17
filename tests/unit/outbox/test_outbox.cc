// The outbox's SMTP data encoding and its retry backoff.
#include <doctest/doctest.h>

#include <chrono>

#include "outbox/dispatcher.h"
#include "outbox/smtp_client.h"

TEST_CASE("outbox::smtp_data: CRLF only, dot-stuffed, terminated") {
  CHECK(outbox::smtp_data("a\nb") == "a\r\nb\r\n.\r\n");
  CHECK(outbox::smtp_data(".\r\n..x\n") == "..\r\n...x\r\n.\r\n");
  CHECK(outbox::smtp_data("a\r.\rb") == "a\r\n..\r\nb\r\n.\r\n");
  CHECK(outbox::smtp_data("") == ".\r\n");
}

TEST_CASE("outbox::backoff doubles up to the cap") {
  using std::chrono::seconds;
  CHECK(outbox::backoff(1, seconds(60), seconds(3600)) == 60);
  CHECK(outbox::backoff(2, seconds(60), seconds(3600)) == 120);
  CHECK(outbox::backoff(4, seconds(60), seconds(3600)) == 480);
  CHECK(outbox::backoff(40, seconds(60), seconds(3600)) == 3600);
}
