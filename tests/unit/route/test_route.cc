// Table-driven recipient routing (DESIGN.md section 4).
#include <doctest/doctest.h>

#include "route/route.h"

using K = route::Route::Kind;

TEST_CASE("route::parse") {
  route::Base base{"desk", "support.example.com", '+'};
  const std::string key(32, 'a');
  struct {
    std::string rcpt;
    bool ok;
    K kind;
    std::string key;
  } cases[] = {
      {"desk+acme-game@support.example.com", true, K::new_issue, "acme-game"},
      {"DESK+Acme-Game@SUPPORT.example.COM", true, K::new_issue, "acme-game"},
      {"\"desk+acme\"@support.example.com", true, K::new_issue, "acme"},
      {"desk+reply-" + key + "@support.example.com", true, K::reply, key},
      {"desk+reply-" + std::string(32, 'F') + "@support.example.com", true, K::reply,
       std::string(32, 'f')},
      {"desk+reply-" + key + "-unsubscribe@support.example.com", true, K::unsubscribe, key},
      {"desk+reply-" + key + "-UNSUBSCRIBE@support.example.com", true, K::unsubscribe, key},
      // A malformed reply key is looked up as a project key (none may start
      // with reply-), so it ends in 550.
      {"desk+reply-xyz@support.example.com", true, K::new_issue, "reply-xyz"},
      {"desk+reply-" + key + "0@support.example.com", true, K::new_issue, "reply-" + key + "0"},
      {"desk@support.example.com", true, K::alias, ""},
      {"desk+@support.example.com", true, K::alias, ""},
      {"desk+a/b@support.example.com", true, K::alias, ""},
      {"desk+acme@other.example", true, K::alias, ""},
      {"help@acme.example", true, K::alias, ""},
      {"other+acme@support.example.com", true, K::alias, ""},
      {"nodomain", false, K::alias, ""},
      {"@support.example.com", false, K::alias, ""},
      {"desk@", false, K::alias, ""},
      {"de\x01sk@support.example.com", false, K::alias, ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.rcpt);
    auto r = route::parse(c.rcpt, base);
    REQUIRE(r.has_value() == c.ok);
    if (!c.ok) continue;
    CHECK(r->kind == c.kind);
    CHECK(r->key == c.key);
  }
}

TEST_CASE("route: alias addresses are canonical, domain and local part lower-cased") {
  route::Base base{"desk", "support.example.com", '+'};
  auto r = route::parse("Help@ACME.example", base);
  REQUIRE(r);
  CHECK(r->address == "help@acme.example");
  CHECK(route::canonical_address("Help@ACME.example") == "help@acme.example");
  CHECK_FALSE(route::canonical_address("no-at-sign"));
}

TEST_CASE("route::valid_project_key") {
  CHECK(route::valid_project_key("acme-game"));
  CHECK(route::valid_project_key("a1.b_c"));
  CHECK_FALSE(route::valid_project_key(""));
  CHECK_FALSE(route::valid_project_key("-x"));
  CHECK_FALSE(route::valid_project_key("a/b"));
  CHECK_FALSE(route::valid_project_key("A"));
  CHECK_FALSE(route::valid_project_key(std::string(65, 'a')));
}
