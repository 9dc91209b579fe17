// Delivery ids, the MTA's queue id from Received:, and the log's priorities.
#include <doctest/doctest.h>

#include <set>

#include "common/queue_id.h"
#include "delivery/log_lines.h"
#include "delivery/mta_id.h"
#include "server/log.h"

TEST_CASE("queue id: 13 characters, sorted by time, never twice") {
  CHECK(common::queue_id_of(0, 0) == "0000000000000");
  CHECK(common::queue_id_of(31, 33) == "0000000000V11");
  // 2026-12-02 in microseconds: 11 base-32 digits cover it until the year 3110.
  std::string a = common::queue_id_of(1796200000000000ULL, 4242);
  CHECK(a.size() == 13);
  CHECK(a < common::queue_id_of(1796200000000001ULL, 4242));
  std::set<std::string> seen;
  std::string prev;
  for (int i = 0; i < 10000; ++i) {
    std::string id = common::new_queue_id();
    CHECK(id.size() == 13);
    CHECK(id.substr(0, 11) > prev.substr(0, std::min<std::size_t>(prev.size(), 11)));
    prev = id;
    seen.insert(id);
  }
  CHECK(seen.size() == 10000);
}

TEST_CASE("mta id: the id clause of the topmost Received: field") {
  struct Case {
    const char* received;
    const char* id;
  } cases[] = {
      {"from a.example (a.example [192.0.2.1]) by mx.example.com (Postfix) with ESMTPS id "
       "4QXzR81bQzz3wLs for <desk@support.example.com>; Wed, 2 Dec 2026 08:00:00 +0000",
       "4QXzR81bQzz3wLs"},
      {"from [192.0.2.7] (helo=x) by mx with esmtp (Exim 4.96) (envelope-from <a@b>) id "
       "1qXyZa-000AbC-2x for desk@support.example.com; Wed, 02 Dec 2026 08:00:00 +0000",
       "1qXyZa-000AbC-2x"},
      {"by mx.example.com (Postfix, from userid 0)\tid 4Qa1; Wed, 2 Dec 2026", "4Qa1"},
      {"from x (comment with id FAKE) by y with SMTP; Wed, 2 Dec 2026 id LATE", ""},
      {"from x by y with SMTP; id AFTERDATE", ""},
      {"from x by y id ", ""},
      {"", ""},
      {"by y ID abc<>def;", "abc"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.received);
    CHECK(delivery::mta_queue_id(c.received) == c.id);
  }
  CHECK(delivery::mta_queue_id("by y id " + std::string(65, 'a')) == "");
  CHECK(delivery::mta_queue_id("by y id " + std::string(64, 'a')) == std::string(64, 'a'));
}

TEST_CASE("log: the priority comes from the text, as in Postfix") {
  CHECK(server::log_priority("4QX: session=S1 from=<a@b> result=created") == 6);
  CHECK(server::log_priority("warning: 4QX: session=S1 result=tempfail") == 4);
  CHECK(server::log_priority("error: cannot listen") == 3);
  CHECK(server::log_priority("fatal: x") == 3);
  CHECK(server::log_priority("a warning: inside") == 6);
}

TEST_CASE("log lines: a delivery and a refusal, one line each, key=value") {
  delivery::DeliveryLine d;
  d.queue_id = "0PKQ3H5M2VB1A";
  d.session = "S7";
  d.mta_id = "4QXzR81bQz";
  d.from = "c@example.org";
  d.rcpt = "desk+acme-game@support.example.com";
  d.message_id = "x\r\n@example.org";  // control characters never break the line
  d.size = 663;
  d.result = "created";
  d.ref = "acme/game#1";
  d.code = 250;
  d.enhanced = "2.0.0";
  d.ms = 4;
  CHECK(delivery::delivery_line(d) ==
        "0PKQ3H5M2VB1A: session=S7 mta_id=4QXzR81bQz from=<c@example.org> "
        "to=<desk+acme-game@support.example.com> message-id=<x??@example.org> size=663 "
        "result=created ref=acme/game#1 reply=\"250 2.0.0\" ms=4");
  d.mta_id = d.ref = "";
  d.code = 451;
  d.enhanced = "4.3.0";
  d.result = "tempfail";
  d.why = "database is locked";
  CHECK(delivery::delivery_line(d) ==
        "warning: 0PKQ3H5M2VB1A: session=S7 from=<c@example.org> "
        "to=<desk+acme-game@support.example.com> message-id=<x??@example.org> size=663 "
        "result=tempfail reply=\"451 4.3.0\" ms=4 detail=\"database is locked\"");
  CHECK(delivery::rcpt_refusal_line("S8", "", "desk+x@d", {550, "5.1.1", "<desk+x@d> no such"}) ==
        "NOQUEUE: session=S8 reject: RCPT from=<> to=<desk+x@d> reply=\"550 5.1.1\" <desk+x@d> no "
        "such");
  CHECK(delivery::with_id({250, "2.0.0", "<a@b> acme/game#1 created"}, "0PKQ3H5M2VB1A").text ==
        "<a@b> acme/game#1 created id=0PKQ3H5M2VB1A");
}
