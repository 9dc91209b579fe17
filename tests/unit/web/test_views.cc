// test_views.cc: the queue page's rows, rendered once and then taken from
// the fragment cache: the page is the same either way, and a changed issue
// or another session's token is never served from an older row.
#include <doctest/doctest.h>

#include <string>

#include "web/fragment_cache.h"
#include "web/views.h"

namespace {

store::IssueSummary row(long long iid, const std::string& title) {
  store::IssueSummary s;
  s.id = iid;
  s.project = "acme/game";
  s.iid = iid;
  s.ref = "acme/game#" + std::to_string(iid);
  s.title = title;
  s.state = "opened";
  s.author = "jane@example.com";
  s.updated_at = 1700000000 + iid;
  return s;
}

web::views::Queue queue_of(std::vector<store::IssueSummary> issues, bool quarantine = false) {
  web::views::Queue q;
  q.quarantine = quarantine;
  q.projects = {"acme/game"};
  q.state = "opened";
  q.sort = "updated";
  q.count = std::to_string(issues.size());
  q.issues = std::move(issues);
  return q;
}

web::views::Frame frame(const std::string& csrf) {
  web::views::Frame f;
  f.title = "Queue";
  f.user = "member@example.com";
  f.csrf = csrf;
  return f;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("fragment cache: hits, misses and its bound") {
  web::FragmentCache c(2);
  CHECK(c.find("a") == nullptr);
  c.put("a", "<li>a</li>");
  REQUIRE(c.find("a") != nullptr);
  CHECK(*c.find("a") == "<li>a</li>");
  c.put("b", "B");
  c.put("c", "C");  // the first generation is full: a and b become the previous one
  c.put("d", "D");
  c.put("e", "E");  // c and d become the previous one, a and b are gone
  CHECK(c.find("a") == nullptr);
  CHECK(c.find("b") == nullptr);
  REQUIRE(c.find("c") != nullptr);  // taken back into the current generation
  CHECK(*c.find("c") == "C");
  CHECK(c.size() <= 4);
  for (int i = 0; i < 1000; ++i) c.put(std::to_string(i), "x");
  CHECK(c.size() <= 4);
}

TEST_CASE("queue rows: the same page from the cache, and nothing stale") {
  auto first =
      web::views::queue(frame("t1"), queue_of({row(1, "Printer <script>"), row(2, "VPN")}));
  auto again =
      web::views::queue(frame("t1"), queue_of({row(1, "Printer <script>"), row(2, "VPN")}));
  CHECK(first == again);
  CHECK(first.find("Printer &lt;script&gt;") != std::string::npos);
  CHECK(first.find("<script>") == std::string::npos);
  CHECK(occurrences(first, "class=\"issue-row\"") == 2);

  // Each thing a row shows, changed, shows changed.
  auto changed = row(1, "Printer on fire");
  CHECK(web::views::queue(frame("t1"), queue_of({changed})).find("Printer on fire") !=
        std::string::npos);
  changed.state = "closed";
  CHECK(web::views::queue(frame("t1"), queue_of({changed})).find("state-closed") !=
        std::string::npos);
  changed.assignee = "bob@example.com";
  CHECK(web::views::queue(frame("t1"), queue_of({changed})).find("assigned to bob@example.com") !=
        std::string::npos);
  changed.labels = {"billing", "urgent"};
  auto labelled = web::views::queue(frame("t1"), queue_of({changed}));
  CHECK(labelled.find(">billing</span>") != std::string::npos);
  CHECK(labelled.find(">urgent</span>") != std::string::npos);
  changed.labels = {"billing"};
  CHECK(web::views::queue(frame("t1"), queue_of({changed})).find(">urgent</span>") ==
        std::string::npos);
  changed.updated_at += 86400;
  CHECK(web::views::queue(frame("t1"), queue_of({changed})).find("2023-11-15") !=
        std::string::npos);
  // Values that would read the same joined without their lengths.
  auto a = row(7, "ab"), b = row(7, "a");
  a.author = "c";
  b.author = "bc";
  CHECK(web::views::queue(frame("t1"), queue_of({a})).find("from c<") != std::string::npos);
  CHECK(web::views::queue(frame("t1"), queue_of({b})).find("from bc<") != std::string::npos);
}

TEST_CASE("quarantine rows carry the viewer's own CSRF token") {
  auto one = web::views::queue(frame("token-one"), queue_of({row(3, "Cheap pills")}, true));
  auto two = web::views::queue(frame("token-two"), queue_of({row(3, "Cheap pills")}, true));
  CHECK(occurrences(one, "value=\"token-one\"") >= 1);
  CHECK(one.find("token-two") == std::string::npos);
  CHECK(occurrences(two, "value=\"token-two\"") >= 1);
  CHECK(two.find("token-one") == std::string::npos);
  // The queue (not quarantine) rows carry no form.
  CHECK(web::views::queue(frame("token-one"), queue_of({row(3, "Cheap pills")})).find("/spam\"") ==
        std::string::npos);
}
