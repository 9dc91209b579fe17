// Reply trimming: quoted history and signatures cut from a customer's answer.
#include <doctest/doctest.h>

#include "mail/message.h"

TEST_CASE("mail::trim_reply") {
  struct {
    const char* in;
    const char* out;
  } cases[] = {
      {"Thanks!\n\nOn Mon, 1 Jan 2026 at 10:00, Support <desk@x> wrote:\n> old\n", "Thanks!"},
      {"Danke\n\nAm 01.01.2026 um 10:00 schrieb Support <desk@x>:\n> alt\n", "Danke"},
      {"ok\n-- \nAnn\nACME Corp\n", "ok"},
      {"yes\n\n-----Original Message-----\nFrom: x\n", "yes"},
      {"fine\n\nFrom: Support <desk@x>\nSent: Monday\nTo: me\n", "fine"},
      {"top\n> quoted\n> more\n", "top"},
      {"> only a quote\n> nothing else\n", "> only a quote\n> nothing else\n"},
      {"inline\n> q\nanswer\n", "inline\n> q\nanswer"},
      {"On a boat I\nwrote: nothing", "On a boat I\nwrote: nothing"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(mail::trim_reply(c.in) == c.out);
  }
}
