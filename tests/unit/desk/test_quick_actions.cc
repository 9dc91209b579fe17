// Quick actions by mail: the parser of a reply's command lines (a table of
// understood and refused lines), the checks against the project, and what
// applying them records. The wiring into a proven member's reply waits for
// issue 18's proof (branch id2).
#include "desk/quick_actions.h"

#include "fixture.h"

using desk_test::Fixture;
using desk_test::Strings;

TEST_CASE("desk quick actions: understood lines") {
  auto qa = desk::parse_quick_actions(
      "/close\n/assign me\n/label ~bug urgent\n/unlabel question\n/internal\n\nThanks, fixed.\n"
      "/close (a later line is text)\n");
  CHECK(qa.understood());
  CHECK(qa.lines == 5);
  CHECK(qa.close);
  CHECK(qa.internal);
  CHECK(qa.assign == "me");
  CHECK(qa.label == Strings{"bug", "urgent"});
  CHECK(qa.unlabel == Strings{"question"});
  CHECK(qa.body == "Thanks, fixed.\n/close (a later line is text)\n");

  qa = desk::parse_quick_actions("  /REOPEN  \r\n/Assign <Ann@Acme.example>\r\nok");
  CHECK(qa.understood());
  CHECK(qa.reopen);
  CHECK(qa.assign == "ann@acme.example");
  CHECK(qa.body == "ok");

  qa = desk::parse_quick_actions("/unassign");
  CHECK(qa.unassign);
  CHECK(qa.body.empty());

  qa = desk::parse_quick_actions("Hello\n/close\n");
  CHECK_FALSE(qa.any());  // commands only at the start
  CHECK(qa.body == "Hello\n/close\n");
  CHECK_FALSE(desk::parse_quick_actions("").any());
}

TEST_CASE("desk quick actions: lines not understood, each with its reason") {
  struct Case {
    const char* text;
    const char* problem;
  } cases[] = {
      {"/frob", "/frob: unknown command"},
      {"/close now", "/close now: takes no argument"},
      {"/internal please", "/internal please: takes no argument"},
      {"/assign", "/assign: needs one address, or me"},
      {"/assign a@x.example b@x.example", "/assign a@x.example b@x.example: needs one address, or me"},
      {"/assign bob", "/assign bob: 'bob' is not an address"},
      {"/label", "/label: needs at least one label"},
      {"/label +bug", "/label +bug: '+bug' is not a label name"},
      {"/unlabel a,b", "/unlabel a,b: 'a,b' is not a label name"},
      {"/close\n/reopen", "/close and /reopen: choose one"},
      {"/assign me\n/unassign", "/assign and /unassign: choose one"},
      {"/", "/: unknown command"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto qa = desk::parse_quick_actions(c.text);
    CHECK(qa.any());
    CHECK_FALSE(qa.understood());
    REQUIRE(qa.problems.size() == 1);
    CHECK(qa.problems[0] == c.problem);
  }
  std::string many;
  for (int i = 0; i < 30; ++i) many += "/close\n";
  auto qa = desk::parse_quick_actions(many + "text");
  CHECK(qa.problems == Strings{"more than 20 command lines"});
  CHECK(qa.body == "text");
  qa = desk::parse_quick_actions("/" + std::string(5000, 'x'));
  REQUIRE(qa.problems.size() == 1);
  CHECK(qa.problems[0].size() < 120);  // the line is shown cut
}

namespace {
struct Member : Fixture {
  Member() {
    desk.add_member("acme/game", "agent@acme.example");
    desk.add_label("acme/game", "bug", "");
    deliver(game, mail("c@example.org", "one@x"));
    composer.mails.clear();
  }
  store::IssueRow row() {
    return st.read([&](store::Tx& tx) { return tx.issues().get(issue(1).id); });
  }
};
}  // namespace

TEST_CASE("desk quick actions: checked against the project's labels and members") {
  Member f;
  auto qa = desk::parse_quick_actions("/assign me\n/label bug\n");
  auto row = f.row();
  f.st.read([&](store::Tx& tx) { desk::check_quick_actions(tx, row, "agent@acme.example", qa); });
  CHECK(qa.understood());
  qa = desk::parse_quick_actions("/assign c@example.org\n/label nope\n/unlabel ~other\n");
  f.st.read([&](store::Tx& tx) { desk::check_quick_actions(tx, row, "agent@acme.example", qa); });
  CHECK(qa.problems == Strings{"/assign: c@example.org is no member of acme/game",
                               "~nope: no such label in acme/game",
                               "~other: no such label in acme/game"});
  qa = desk::parse_quick_actions("/assign me");
  f.st.read([&](store::Tx& tx) { desk::check_quick_actions(tx, row, "c@example.org", qa); });
  CHECK_FALSE(qa.understood());
}

TEST_CASE("desk quick actions: applied as the member, each change a system note") {
  Member f;
  auto qa = desk::parse_quick_actions("/close\n/assign me\n/label ~BUG\n\nDone.");
  auto row = f.row();
  auto r = f.st.transact([&](store::Tx& tx) {
    return desk::apply_quick_actions(tx, row, "agent@acme.example", qa, f.now);
  });
  CHECK(r.state == "closed");
  CHECK(r.assignee_changed);
  CHECK(r.labels.added == Strings{"bug"});
  auto d = f.st.show_issue("acme/game#1");
  CHECK(d->summary.state == "closed");
  CHECK(d->summary.assignee == "agent@acme.example");
  CHECK(d->summary.labels == Strings{"bug"});
  Strings notes;
  for (const auto& n : d->notes) notes.push_back(n.author + ": " + n.body);
  CHECK(notes == Strings{"agent@acme.example: assigned to agent@acme.example",
                         "agent@acme.example: added label ~bug", "agent@acme.example: closed"});
  CHECK(f.composer.mails.empty());
  // Closing a closed issue again changes nothing.
  row = f.row();
  r = f.st.transact([&](store::Tx& tx) {
    return desk::apply_quick_actions(tx, row, "agent@acme.example", qa, f.now);
  });
  CHECK_FALSE(r.state);
  CHECK_FALSE(r.assignee_changed);
  CHECK_FALSE(r.labels.changed());
}

namespace {
// A proven member answering acme/game#1 through their own reply address.
struct Replies : Member {
  store::Target member_key;
  Replies() {
    desk.set_project_flag("acme/game", "notify_members", true);
    deliver(reply_of("acme/game#1", "c@example.org"), mail("c@example.org", "r1@x", "any news?"));
    member_key = reply_of("acme/game#1", "agent@acme.example");
    composer.mails.clear();
  }
  store::Outcome answer(const std::string& body, bool proven = true, const std::string& mid = "a1@x") {
    auto in = Fixture::mail("agent@acme.example", mid, body);
    in.author_proven = proven;
    return deliver(member_key, in);
  }
  const memory::NoteRow& last_note() {
    for (auto it = st.state().notes.rbegin(); it != st.state().notes.rend(); ++it)
      if (it->row.author_kind != "system") return *it;
    FAIL("no note");
    return st.state().notes.back();
  }
  Strings kinds() {
    Strings out;
    for (const auto& m : composer.mails) out.push_back(std::string(store::mail_kind_name(m.kind)) + " " + m.to);
    return out;
  }
};
}  // namespace

TEST_CASE("desk quick actions by mail: a proven member's commands run, the rest is the answer") {
  Replies f;
  f.answer("/close\n/label ~bug\n\nFixed in 1.2.");
  auto d = f.st.show_issue("acme/game#1");
  CHECK(d->summary.state == "closed");
  CHECK(d->summary.labels == Strings{"bug"});
  CHECK(f.last_note().row.body == "Fixed in 1.2.");
  CHECK_FALSE(f.last_note().row.internal);
  CHECK(f.kinds() == Strings{"new_note c@example.org", "closed c@example.org"});
  CHECK(f.composer.mails[0].note == "Fixed in 1.2.");
}

TEST_CASE("desk quick actions by mail: nothing but commands, or /internal: no customer hears") {
  Replies f;
  f.answer("/assign me\n");
  CHECK(f.st.show_issue("acme/game#1")->summary.assignee == "agent@acme.example");
  CHECK(f.last_note().row.internal);
  CHECK(f.composer.mails.empty());
  f.answer("/internal\n/close\nThe customer is a reseller.", true, "a2@x");
  CHECK(f.st.show_issue("acme/game#1")->summary.state == "closed");
  CHECK(f.last_note().row.internal);
  CHECK(f.last_note().row.body == "The customer is a reseller.");
  CHECK(f.composer.mails.empty());  // neither the note nor the closing
}

TEST_CASE("desk quick actions by mail: not understood: nothing runs, internal, the member told") {
  Replies f;
  f.answer("/close\n/label nope\n/frob\n\nDone.");
  auto d = f.st.show_issue("acme/game#1");
  CHECK(d->summary.state == "opened");
  CHECK(d->summary.labels.empty());
  CHECK(f.last_note().row.internal);
  CHECK(f.last_note().row.body == "/close\n/label nope\n/frob\n\nDone.");
  REQUIRE(f.kinds() == Strings{"member_actions_refused agent@acme.example"});
  CHECK(f.composer.mails[0].note == "/frob: unknown command\n");
  // A label the project lacks is found before anything runs.
  f.composer.mails.clear();
  f.answer("/close\n/label nope\nDone.", true, "a2@x");
  CHECK(f.st.show_issue("acme/game#1")->summary.state == "opened");
  CHECK(f.composer.mails[0].note == "~nope: no such label in acme/game\n");
}

TEST_CASE("desk quick actions by mail: an unproven member's and a customer's lines are text") {
  Replies f;
  f.answer("/close\nDone.", false);
  CHECK(f.st.show_issue("acme/game#1")->summary.state == "opened");
  CHECK(f.last_note().row.body == "/close\nDone.");
  CHECK(f.last_note().row.internal);
  CHECK(f.kinds() == Strings{"member_unverified agent@acme.example"});
  f.composer.mails.clear();
  auto in = Fixture::mail("c@example.org", "c2@x", "/close\n/assign me");
  in.author_proven = true;  // proven or not, a customer's key never acts
  f.deliver(f.reply_of("acme/game#1", "c@example.org"), in);
  auto d = f.st.show_issue("acme/game#1");
  CHECK(d->summary.state == "opened");
  CHECK(d->summary.assignee.empty());
  CHECK(f.last_note().row.body == "/close\n/assign me");
  CHECK(f.last_note().row.author_kind == "customer");
}
