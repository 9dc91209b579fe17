// The web desk's rules (desk/web_access.h) over the in-memory store:
// sign-in links (member only, rate-limited, single use, expiring), sessions,
// and a member seeing only the issues of their own projects.
#include "desk/web_access.h"
#include "fixture.h"

using desk::LinkRequest;
using desk::LinkState;
using desk_test::Fixture;
using desk_test::Strings;
using store::MailKind;

namespace {

struct Web : Fixture {
  desk::WebAccess web{st, &composer, desk::SignInPolicy{900, 3600, 3, 5}};
  Web() {
    web.set_clock([this] { return now; });
    desk.add_project({"acme/web", "Web", "", {}});
    desk.add_member("acme/game", "alice@example.com");
    desk.add_member("acme/web", "bob@example.com");
  }
};

}  // namespace

TEST_CASE("web access: a link is mailed to a member only, and every request counts") {
  Web w;
  CHECK(w.web.request_link("Alice@Example.com", "192.0.2.1", "h1", "http://x/l?t=1") ==
        LinkRequest::mailed);
  CHECK(w.outbox(MailKind::sign_in) == Strings{"alice@example.com"});
  CHECK(w.web.request_link("mallory@example.net", "192.0.2.1", "h2", "http://x/l?t=2") ==
        LinkRequest::not_member);
  CHECK(w.web.request_link("not an address", "192.0.2.1", "h3", "l") == LinkRequest::invalid);
  CHECK(w.outbox(MailKind::sign_in).size() == 1);
  CHECK(w.st.state().web_links.size() == 2);  // the invalid one is not recorded
}

TEST_CASE("web access: requests are limited per address and per client each hour") {
  Web w;
  for (int i = 0; i < 3; ++i)
    CHECK(w.web.request_link("alice@example.com", "c" + std::to_string(i), "a" + std::to_string(i),
                             "l") == LinkRequest::mailed);
  CHECK(w.web.request_link("alice@example.com", "c9", "a9", "l") == LinkRequest::rate_limited);
  CHECK(w.outbox(MailKind::sign_in).size() == 3);
  // Per client: five requests from one address, whatever they ask for.
  for (int i = 0; i < 4; ++i)
    w.web.request_link("x" + std::to_string(i) + "@e.org", "c9", "b" + std::to_string(i), "l");
  CHECK(w.web.request_link("bob@example.com", "c9", "b9", "l") == LinkRequest::rate_limited);
  // An hour later both limits are free again.
  w.now += 3601;
  CHECK(w.web.request_link("alice@example.com", "c9", "a10", "l") == LinkRequest::mailed);
}

TEST_CASE("web access: a link works once, before it expires, and opens a session") {
  Web w;
  w.web.request_link("alice@example.com", "c", "link", "l");
  CHECK(w.web.link_state("link") == LinkState::valid);
  CHECK(w.web.link_state("link") == LinkState::valid);  // looking does not use it up
  CHECK(w.web.link_state("other") == LinkState::unknown);
  auto s = w.web.redeem("link", "sess", "csrf1");
  REQUIRE(s);
  CHECK(s->email == "alice@example.com");
  CHECK(s->csrf == "csrf1");
  CHECK(w.web.link_state("link") == LinkState::used);
  CHECK_FALSE(w.web.redeem("link", "sess2", "csrf2"));
  REQUIRE(w.web.session("sess"));
  CHECK(w.web.session("sess")->email == "alice@example.com");
  CHECK_FALSE(w.web.session("sess2"));
  // The session ends with its lifetime, or when signed out.
  w.now += 3601;
  CHECK_FALSE(w.web.session("sess"));
  w.web.request_link("alice@example.com", "c", "link2", "l");
  REQUIRE(w.web.redeem("link2", "sess3", "c3"));
  w.web.sign_out("sess3");
  CHECK_FALSE(w.web.session("sess3"));
  // Expired links.
  w.web.request_link("alice@example.com", "c", "link3", "l");
  w.now += 901;
  CHECK(w.web.link_state("link3") == LinkState::expired);
  CHECK_FALSE(w.web.redeem("link3", "sess4", "c4"));
}

TEST_CASE("web access: a member who is removed loses the session; SSO only for members") {
  Web w;
  w.web.request_link("alice@example.com", "c", "link", "l");
  REQUIRE(w.web.redeem("link", "sess", "c"));
  w.desk.remove_member("acme/game", "alice@example.com");
  CHECK_FALSE(w.web.session("sess"));
  CHECK_FALSE(w.web.open_session("alice@example.com", "sso", "c"));
  REQUIRE(w.web.open_session("BOB@example.com", "sso", "c"));
  CHECK(w.web.session("sso")->email == "bob@example.com");
}

TEST_CASE("web access: a member sees the issues of their own projects only") {
  Web w;
  w.deliver(w.game, Fixture::mail("c@example.org", "m1@x"));
  w.deliver(*w.st.find_project_key("acme-web"), Fixture::mail("c@example.org", "m2@x"));
  CHECK(w.web.projects_of("alice@example.com") == Strings{"acme/game"});
  CHECK(w.web.issue("alice@example.com", "acme/game#1"));
  CHECK_FALSE(w.web.issue("alice@example.com", "acme/web#1"));
  CHECK_FALSE(w.web.may_see("alice@example.com", "acme/web#1"));
  CHECK_FALSE(w.web.issue("alice@example.com", "../../x#1"));
  CHECK_FALSE(w.web.raw_message("alice@example.com", "acme/web#1"));
  auto mine = w.web.queue_page("alice@example.com", {}, 1000);
  CHECK(mine.projects == Strings{"acme/game"});
  REQUIRE(mine.issues.size() == 1);
  CHECK(mine.issues[0].ref == "acme/game#1");
  CHECK(mine.count == 1);
  store::IssueFilter other;
  other.project = "acme/web";
  auto theirs = w.web.queue_page("alice@example.com", other, 1000);
  CHECK(theirs.issues.empty());
  CHECK(theirs.count == 0);
  auto nobody = w.web.queue_page("nobody@example.com", {}, 1000);
  CHECK(nobody.projects.empty());
  CHECK(nobody.issues.empty());
  CHECK(nobody.count == 0);
  w.desk.add_label("acme/game", "billing", "");
  auto page = w.web.issue_page("alice@example.com", "acme/game#1");
  REQUIRE(page);
  REQUIRE(page->labels.size() == 1);
  CHECK(page->labels[0].name == "billing");
  CHECK(page->detail.summary.ref == "acme/game#1");
  CHECK(page->members == Strings{"alice@example.com"});
  CHECK_FALSE(w.web.issue_page("alice@example.com", "acme/web#1"));
  CHECK_FALSE(w.web.issue_page("alice@example.com", "acme/game#9"));
  store::IssueFilter bad;
  bad.labels = Strings(11, "x");  // at most 10 in one filter
  CHECK_THROWS_AS(w.web.queue_page("alice@example.com", bad, 1000), desk::Invalid);
}
