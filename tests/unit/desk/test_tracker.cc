// The tracker over the in-memory store: labels, assignees, the system notes
// that record each change, the filters of the queue, members' notify off.
#include "desk/tracker.h"

#include "fixture.h"

using desk_test::Fixture;
using desk_test::Strings;
using store::MailKind;

namespace {
// acme/game#1 and #2 from customers; agent and boss are members.
struct Queue : Fixture {
  Queue() {
    desk.add_member("acme/game", "agent@acme.example");
    desk.add_member("acme/game", "boss@acme.example");
    deliver(game, mail("c@example.org", "one@x", "The printer is on fire"));
    now += 10;
    deliver(game, mail("d@example.org", "two@x", "Пароль не подходит"));
    composer.mails.clear();
  }
  std::vector<store::NoteView> system_notes(const std::string& ref) {
    std::vector<store::NoteView> out;
    auto d = st.show_issue(ref);
    for (const auto& n : d->notes)
      if (n.author_kind == "system") out.push_back(n);
    return out;
  }
  Strings refs(const store::IssueFilter& f) {
    Strings out;
    for (const auto& s : desk.issues(f)) out.push_back(s.ref);
    return out;
  }
};
}  // namespace

TEST_CASE("desk tracker: label names, keys and colours") {
  CHECK(desk::valid_label("bug"));
  CHECK(desk::valid_label("needs-info"));
  CHECK(desk::valid_label("ошибка"));
  CHECK(desk::valid_label("優先"));
  CHECK_FALSE(desk::valid_label(""));
  CHECK_FALSE(desk::valid_label("two words"));
  CHECK_FALSE(desk::valid_label("a,b"));
  CHECK_FALSE(desk::valid_label("+bug"));
  CHECK_FALSE(desk::valid_label("-bug"));
  CHECK_FALSE(desk::valid_label("~bug"));
  CHECK_FALSE(desk::valid_label("/close"));
  CHECK_FALSE(desk::valid_label("tab\there"));
  CHECK_FALSE(desk::valid_label("nb\xC2\xA0sp"));
  CHECK_FALSE(desk::valid_label("bad\xFFutf8"));
  CHECK_FALSE(desk::valid_label(std::string(65, 'x')));
  CHECK(desk::label_key("Needs-Info") == "needs-info");
  CHECK(desk::valid_colour(""));
  CHECK(desk::valid_colour("#fa0"));
  CHECK(desk::valid_colour("#FFaa00"));
  CHECK_FALSE(desk::valid_colour("red"));
  CHECK_FALSE(desk::valid_colour("#12345"));
  CHECK_FALSE(desk::valid_colour("#ggg"));
}

TEST_CASE("desk tracker: project labels are added once, listed by name, removed from issues") {
  Queue f;
  f.desk.add_label("acme/game", "bug", "#D00");
  f.desk.add_label("acme/game", "Needs-Info", "");
  CHECK_THROWS_AS(f.desk.add_label("acme/game", "BUG", ""), store::Error);
  CHECK_THROWS_AS(f.desk.add_label("acme/game", "two words", ""), desk::Invalid);
  CHECK_THROWS_AS(f.desk.add_label("acme/game", "ok", "blue"), desk::Invalid);
  CHECK_THROWS_AS(f.desk.add_label("acme/none", "ok", ""), store::Error);
  auto ls = f.desk.labels("acme/game");
  REQUIRE(ls.size() == 2);
  CHECK(ls[0].name == "bug");
  CHECK(ls[0].colour == "#d00");
  CHECK(ls[1].name == "Needs-Info");
  f.desk.relabel("acme/game#1", {"bug"}, {}, "agent@acme.example");
  CHECK(f.desk.remove_label("acme/game", "BUG"));
  CHECK_FALSE(f.desk.remove_label("acme/game", "bug"));
  CHECK(f.st.show_issue("acme/game#1")->summary.labels.empty());
  CHECK(f.desk.labels("acme/game").size() == 1);
}

TEST_CASE("desk tracker: assign to a member or nobody, recorded, never mailed") {
  Queue f;
  CHECK(f.desk.assign("acme/game#1", "Agent@acme.example", "boss@acme.example"));
  auto d = f.st.show_issue("acme/game#1");
  CHECK(d->summary.assignee == "agent@acme.example");
  CHECK(d->summary.updated_at == f.now);
  CHECK_FALSE(f.desk.assign("acme/game#1", "agent@acme.example", "boss@acme.example"));
  CHECK_THROWS_AS(f.desk.assign("acme/game#1", "c@example.org", "boss@acme.example"),
                  desk::Invalid);
  CHECK_THROWS_AS(f.desk.assign("acme/game#1", "not an address", "x"), desk::Invalid);
  CHECK_THROWS_AS(f.desk.assign("acme/game#9", "agent@acme.example", "x"), store::Error);
  f.now += 5;
  CHECK(f.desk.assign("acme/game#1", "boss@acme.example", "boss@acme.example"));
  CHECK(f.desk.assign("acme/game#1", "", "agent@acme.example"));
  CHECK(f.st.show_issue("acme/game#1")->summary.assignee.empty());
  auto notes = f.system_notes("acme/game#1");
  REQUIRE(notes.size() == 3);
  CHECK(notes[0].body == "assigned to agent@acme.example");
  CHECK(notes[0].author == "boss@acme.example");
  CHECK(notes[0].internal);
  CHECK(notes[1].body == "assigned to boss@acme.example (was agent@acme.example)");
  CHECK(notes[1].created_at == f.now);
  CHECK(notes[2].body == "removed the assignee boss@acme.example");
  CHECK(notes[2].author == "agent@acme.example");
  CHECK(f.composer.mails.empty());
  CHECK(f.st.state().outbox.size() == 2);  // the two confirmations only
}

TEST_CASE("desk tracker: labels on an issue: added, removed, one note, unknown refused whole") {
  Queue f;
  f.desk.add_label("acme/game", "bug", "");
  f.desk.add_label("acme/game", "urgent", "");
  auto c = f.desk.relabel("acme/game#1", {"BUG", "urgent"}, {}, "agent@acme.example");
  CHECK(c.added == Strings{"bug", "urgent"});
  CHECK(f.st.show_issue("acme/game#1")->summary.labels == Strings{"bug", "urgent"});
  c = f.desk.relabel("acme/game#1", {"bug"}, {"urgent"}, "agent@acme.example");
  CHECK(c.added.empty());
  CHECK(c.removed == Strings{"urgent"});
  // Nothing changes when one name is unknown, not even the known one.
  CHECK_THROWS_AS(f.desk.relabel("acme/game#1", {"urgent", "nope"}, {}, "a"), desk::Invalid);
  CHECK(f.st.show_issue("acme/game#1")->summary.labels == Strings{"bug"});
  CHECK_FALSE(f.desk.relabel("acme/game#1", {"bug"}, {}, "a").changed());
  auto notes = f.system_notes("acme/game#1");
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].body == "added label ~bug ~urgent");
  CHECK(notes[1].body == "removed label ~urgent");
  CHECK(f.composer.mails.empty());
}

TEST_CASE("desk tracker: state changes are system notes with their author") {
  Queue f;
  f.desk.set_state("acme/game#1", "closed", "agent@acme.example");
  f.now += 20;
  auto in = Fixture::mail("c@example.org", "again@x", "still burning");
  f.deliver(f.reply_of("acme/game#1", "c@example.org"), in);
  auto notes = f.system_notes("acme/game#1");
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].body == "closed");
  CHECK(notes[0].author == "agent@acme.example");
  CHECK(notes[1].body == "reopened by the customer's reply");
  CHECK(notes[1].author == "c@example.org");
  // The closed mail went to the customer; no system note was mailed.
  CHECK(f.outbox(MailKind::closed) == Strings{"c@example.org"});
  for (const auto& m : f.composer.mails) CHECK(m.note.find("closed") == std::string::npos);
}

TEST_CASE("desk tracker: the queue's filters: assignee, labels (all), search, sort") {
  Queue f;
  f.desk.add_label("acme/game", "bug", "");
  f.desk.add_label("acme/game", "urgent", "");
  f.desk.assign("acme/game#2", "agent@acme.example", "boss@acme.example");
  f.desk.relabel("acme/game#1", {"bug", "urgent"}, {}, "a");
  f.desk.relabel("acme/game#2", {"bug"}, {}, "a");
  store::IssueFilter by;
  by.assignee = "AGENT@acme.example";
  CHECK(f.refs(by) == Strings{"acme/game#2"});
  by.assignee = "";
  CHECK(f.refs(by) == Strings{"acme/game#1"});
  store::IssueFilter labels;
  labels.labels = {"Bug"};
  CHECK(f.refs(labels) == Strings{"acme/game#1", "acme/game#2"});
  labels.labels = {"bug", "urgent"};
  CHECK(f.refs(labels) == Strings{"acme/game#1"});
  labels.labels = {"missing"};
  CHECK(f.refs(labels).empty());
  store::IssueFilter search;
  search.search = "ПАРОЛЬ";
  CHECK(f.refs(search) == Strings{"acme/game#2"});
  search.search = "fire printer";
  CHECK(f.refs(search) == Strings{"acme/game#1"});
  search.search = "fire пароль";  // every word, in the same issue
  CHECK(f.refs(search).empty());
  f.desk.add_note("acme/game#2", {"agent@acme.example", "responder", "a fire drill", true});
  search.search = "fire пароль";  // a word in a note counts
  CHECK(f.refs(search) == Strings{"acme/game#2"});
  search.search = "~~~";
  CHECK_THROWS_AS(f.refs(search), desk::Invalid);
  search.search = "a b c d e f g h i";
  CHECK_THROWS_AS(f.refs(search), desk::Invalid);
  store::IssueFilter sorted;
  sorted.sort = store::IssueSort::created;
  CHECK(f.refs(sorted) == Strings{"acme/game#2", "acme/game#1"});
  f.now += 100;
  f.desk.relabel("acme/game#1", {}, {"urgent"}, "a");
  sorted.sort = store::IssueSort::updated;
  CHECK(f.refs(sorted) == Strings{"acme/game#1", "acme/game#2"});
  auto listed = f.desk.issues({});
  CHECK(listed[0].labels == Strings{"bug"});
  CHECK(listed[1].assignee == "agent@acme.example");
  store::IssueFilter bad;
  bad.labels = {"two words"};
  CHECK_THROWS_AS(f.refs(bad), desk::Invalid);
}

TEST_CASE("desk tracker: a member whose mail is off gets no members' mail") {
  Queue f;
  f.desk.set_project_flag("acme/game", "notify_members", true);
  CHECK(f.desk.set_member_notify("acme/game", "Boss@acme.example", false));
  CHECK_FALSE(f.desk.set_member_notify("acme/game", "c@example.org", false));
  CHECK(f.desk.projects()[0].muted == Strings{"boss@acme.example"});
  f.deliver(f.game, Fixture::mail("e@example.org", "three@x"));
  CHECK(f.outbox(MailKind::member_new_issue) == Strings{"agent@acme.example"});
  f.desk.set_member_notify("acme/game", "boss@acme.example", true);
  f.deliver(f.game, Fixture::mail("e@example.org", "four@x"));
  CHECK(f.outbox(MailKind::member_new_issue) ==
        Strings{"agent@acme.example", "agent@acme.example", "boss@acme.example"});
}
