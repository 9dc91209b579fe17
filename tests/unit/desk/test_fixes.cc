// Commits that close issues, over the in-memory store (desk/fixes.h): the
// binding is the authority, only its branch counts, each (commit, issue)
// acts once, the customer's closed mail names the fix only when the project
// discloses fixes, an issue already closed gets no second mail.
#include "fixture.h"

using desk_test::Fixture;
using desk_test::Strings;
using store::MailKind;

namespace {

struct Fixes : Fixture {
  Fixes() {
    deliver(game, mail("c@example.org", "first@x"));   // acme/game#1
    deliver(game, mail("d@example.org", "second@x"));  // acme/game#2
    composer.mails.clear();
    store::HookBinding b;
    b.forge = "git";
    b.repo = "/srv/git/game.git";
    b.commit_url = "https://git.example.com/game/commit/%H";
    desk.add_hook("acme/game", b);
  }
  desk::FixResult push(const std::string& branch, std::vector<desk::FixCommit> commits,
                       const std::string& delivery = "") {
    return desk.fix_push(
        {"git", "/srv/git/game.git/", branch, "main", std::move(commits), delivery, {}}, 20);
  }
  static desk::FixCommit commit(const std::string& sha, const std::string& message) {
    return {sha, message, "Jane Dev", "jane@acme.example", ""};
  }
  std::vector<const memory::NoteRow*> notes(int iid) {
    std::vector<const memory::NoteRow*> out;
    for (const auto& n : st.state().notes)
      if (n.row.issue_id == issue(iid).id) out.push_back(&n);
    return out;
  }
};

const std::string kSha1(40, 'a'), kSha2(40, 'b'), kSha3(40, 'c');

}  // namespace

TEST_CASE("desk fixes: a closing commit closes the issue, notes it and mails the customer once") {
  Fixes f;
  auto r =
      f.push("main", {Fixes::commit(kSha1, "Fix the save button\n\nFixes desk#1, see desk#2")});
  CHECK(r.bindings == 1);
  CHECK(r.closed == 1);
  CHECK(r.noted == 2);
  CHECK(r.mails == 1);
  CHECK(f.issue(1).state == "closed");
  CHECK(f.issue(1).closed_at == f.now);
  CHECK(f.issue(2).state == "opened");
  CHECK(f.outbox(MailKind::closed) == Strings{"c@example.org"});
  auto n1 = f.notes(1);
  REQUIRE(n1.size() == 1);
  CHECK(n1[0]->row.internal);
  CHECK(n1[0]->row.author_kind == "support_bot");
  CHECK(n1[0]->row.author == "jane@acme.example");
  CHECK(n1[0]->row.body ==
        "Closed by commit aaaaaaaaaaaa \"Fix the save button\" by Jane Dev <jane@acme.example>\n"
        "https://git.example.com/game/commit/" +
            kSha1);
  auto n2 = f.notes(2);
  REQUIRE(n2.size() == 1);
  CHECK(n2[0]->row.internal);
  CHECK(n2[0]->row.body.rfind("Mentioned in commit aaaaaaaaaaaa", 0) == 0);

  // The same commit again (pushed again, force-pushed back): nothing twice.
  f.desk.set_state("acme/game#1", "opened");
  auto again =
      f.push("main", {Fixes::commit(kSha1, "Fix the save button\n\nFixes desk#1, see desk#2")});
  CHECK(again.seen == 2);
  CHECK(again.noted == 0);
  CHECK(again.mails == 0);
  CHECK(f.issue(1).state == "opened");
  CHECK(f.notes(2).size() == 1);
  CHECK(f.outbox(MailKind::closed).size() == 1);
}

TEST_CASE("desk fixes: another branch does nothing; the binding's branch decides") {
  Fixes f;
  auto r = f.push("feature", {Fixes::commit(kSha1, "Fixes desk#1")});
  CHECK(r.bindings == 0);
  CHECK(f.issue(1).state == "opened");
  CHECK(f.st.state().notes.empty());
  // Pushed later to the default branch, the same commit acts.
  CHECK(f.push("main", {Fixes::commit(kSha1, "Fixes desk#1")}).closed == 1);

  // A binding naming a branch takes that branch, not the repository's default.
  store::HookBinding b;
  b.forge = "git";
  b.repo = "/srv/git/web.git";
  b.branch = "release";
  f.desk.add_project({"acme/web", "Web", "", {}});
  f.desk.add_hook("acme/web", b);
  f.deliver(*f.st.find_project_key("acme-web"), Fixture::mail("e@example.org", "w@x"));
  auto web = [&](const std::string& branch, const std::string& sha) {
    return f.desk.fix_push(
        {"git", "/srv/git/web.git", branch, "main", {Fixes::commit(sha, "Fixes desk#1")}, "", {}},
        20);
  };
  CHECK(web("main", kSha2).bindings == 0);
  CHECK(web("release", kSha2).closed == 1);
}

TEST_CASE("desk fixes: an issue already closed gets the note and no second mail") {
  Fixes f;
  f.desk.set_state("acme/game#1", "closed");
  CHECK(f.outbox(MailKind::closed).size() == 1);
  auto r = f.push("main", {Fixes::commit(kSha1, "Fixes desk#1")});
  CHECK(r.closed == 0);
  CHECK(r.noted == 1);
  CHECK(r.mails == 0);
  CHECK(f.outbox(MailKind::closed).size() == 1);
  CHECK(f.notes(1).back()->row.body.rfind("Fixed (already closed) by commit", 0) == 0);
  // Two commits closing the same issue in one push: one mail.
  f.desk.set_state("acme/game#2", "opened");
  auto two = f.push(
      "main", {Fixes::commit(kSha2, "Fixes desk#2"), Fixes::commit(kSha3, "Also fixes desk#2")});
  CHECK(two.closed == 1);
  CHECK(two.mails == 1);
}

TEST_CASE("desk fixes: the closed mail names the fix only when the project discloses fixes") {
  struct Capture : store::Composer {
    std::vector<store::MailContext> seen;
    store::OutMail compose(const store::MailContext& c) override {
      seen.push_back(c);
      return {"s", "m" + std::to_string(seen.size()) + "@x", "desk@x", "Subject: s\r\n\r\nb\r\n"};
    }
  };
  memory::MemoryStore st;
  Capture cap;
  desk::Desk d(st, &cap);
  d.add_project({"acme/game", "Game", "", {}});
  d.deliver(*st.find_project_key("acme-game"), Fixture::mail("c@example.org", "1@x"));
  d.deliver(*st.find_project_key("acme-game"), Fixture::mail("c@example.org", "2@x"));
  store::HookBinding b;
  b.forge = "git";
  b.repo = "/srv/g.git";
  b.commit_url = "https://git.example.com/g/commit/%H";
  d.add_hook("acme/game", b);
  auto close = [&](const std::string& sha, int iid) {
    cap.seen.clear();
    d.fix_push(
        {"git",
         "/srv/g.git",
         "main",
         "main",
         {{sha, "Internal: rotate keys\n\nFixes desk#" + std::to_string(iid), "J", "j@x", ""}},
         "",
         {}},
        20);
    REQUIRE(cap.seen.size() == 1);
    CHECK(cap.seen[0].kind == MailKind::closed);
    return cap.seen[0];
  };
  auto off = close(kSha1, 1);  // off by default
  CHECK(off.fix_title.empty());
  CHECK(off.fix_url.empty());
  d.set_project_flag("acme/game", "disclose_fixes", true);
  auto on = close(kSha2, 2);
  CHECK(on.fix_title == "Internal: rotate keys");
  CHECK(on.fix_url == "https://git.example.com/g/commit/" + kSha2);
}

TEST_CASE("desk fixes: unknown issues, unbound repositories, other projects, replays") {
  Fixes f;
  auto r = f.push("main", {Fixes::commit(kSha1, "Fixes desk#99 and other/x#1")});
  CHECK(r.missing == 1);
  CHECK(r.noted == 0);
  // An unbound repository: nothing.
  auto u = f.desk.fix_push({"git",
                            "/srv/git/other.git",
                            "main",
                            "main",
                            {Fixes::commit(kSha2, "Fixes acme/game#1")},
                            "",
                            {}},
                           20);
  CHECK(u.bindings == 0);
  CHECK(f.issue(1).state == "opened");
  // A webhook delivery seen before acts once.
  auto d1 = f.push("main", {Fixes::commit(kSha2, "Fixes desk#1")}, "delivery-1");
  CHECK(d1.closed == 1);
  f.desk.set_state("acme/game#1", "opened");
  auto d2 = f.push("main", {Fixes::commit(kSha3, "Fixes desk#1")}, "delivery-1");
  CHECK(d2.replay);
  CHECK(f.issue(1).state == "opened");
  // A commit without an id is skipped.
  CHECK(f.push("main", {Fixes::commit("", "Fixes desk#1")}).noted == 0);
}

TEST_CASE("desk fixes: bindings are checked before they are stored") {
  Fixes f;
  auto bad = [&](store::HookBinding b) {
    CHECK_THROWS_AS(f.desk.add_hook("acme/game", b), desk::Invalid);
  };
  bad({0, 0, "", "svn", "/srv/x", "", "", "", 0});
  bad({0, 0, "", "git", "relative/x.git", "", "", "", 0});
  bad({0, 0, "", "git", "/srv/x.git", "", "", "secret", 0});
  bad({0, 0, "", "gitlab", "https://gitlab.example.com/acme/game", "", "", "", 0});  // no secret
  bad({0, 0, "", "gitlab", "ftp://gitlab.example.com/acme/game", "", "", "s3cret", 0});
  bad({0, 0, "", "git", "/srv/x.git", "", "https://x.example/commit/", "", 0});  // no %H
  bad({0, 0, "", "git", "/srv/x.git", "a..b", "", "", 0});
  CHECK_THROWS_AS(f.desk.add_hook("no/such", {0, 0, "", "git", "/srv/y.git", "", "", "", 0}),
                  store::Error);
  // The same binding twice.
  CHECK_THROWS_AS(
      f.desk.add_hook("acme/game", {0, 0, "", "git", "/srv/git/game.git", "", "", "", 0}),
      store::Error);
  // A forge's URL is kept normalised, and found however it is spelled.
  auto h =
      f.desk.add_hook("acme/game", {0, 0, "", "GitLab", "https://GitLab.example.com/Acme/Game.git/",
                                    "refs/heads/main", "", "s3cret", 0});
  CHECK(h.forge == "gitlab");
  CHECK(h.repo == "https://gitlab.example.com/acme/game");
  CHECK(h.branch == "main");
  CHECK(f.desk.find_hooks("gitlab", "https://gitlab.example.com/acme/game/").size() == 1);
  CHECK(f.desk.hooks(std::string("acme/game")).size() == 2);
  CHECK(f.desk.remove_hook("acme/game", "gitlab", "https://gitlab.example.com/acme/game"));
  CHECK_FALSE(f.desk.remove_hook("acme/game", "gitlab", "https://gitlab.example.com/acme/game"));
  CHECK(f.desk.hooks(std::nullopt).size() == 1);
}
