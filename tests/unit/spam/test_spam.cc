// Spam verdicts from the site filter's headers, table-driven.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "spam/spam.h"

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
