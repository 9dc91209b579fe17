// Delivery ids, the MTA's queue id from Received:, and the log's priorities.
#include <doctest/doctest.h>

#include <set>

#include "common/queue_id.h"
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
