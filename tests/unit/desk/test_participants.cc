// Cc participants (issue 23): who among a new issue's Cc becomes one, what
// they are mailed, the desk's hourly cap, and responders adding and
// removing them.
#include "fixture.h"

using desk_test::Fixture;
using desk_test::Strings;
using store::MailKind;

namespace {

store::Inbound with_cc(std::vector<std::string> cc) {
  auto in = Fixture::mail("c@example.org", "m1@x", "the customer's text");
  for (auto& e : cc) in.cc.emplace_back(std::move(e), "");
  return in;
}

Strings roles(Fixture& f, const std::string& ref, const std::string& role) {
  Strings out;
  auto d = f.st.show_issue(ref);
  REQUIRE(d);
  for (const auto& p : d->participants)
    if (p.role == role) out.push_back(p.email);
  return out;
}

}  // namespace

TEST_CASE("cc participants: off by default, Cc is only what the sender wrote") {
  Fixture f;
  f.deliver(f.game, with_cc({"boss@example.org"}));
  CHECK(roles(f, "acme/game#1", "cc").empty());
}

TEST_CASE("cc participants: at most ten, never a member, an alias or the customer") {
  Fixture f;
  f.desk.set_project_flag("acme/game", "cc_participants", true);
  f.desk.add_member("acme/game", "agent@acme.example");
  Strings cc = {"Agent@ACME.example", "help@acme.example", "C@example.org", "not-an-address"};
  for (int i = 0; i < 12; ++i) cc.push_back("p" + std::to_string(i) + "@example.net");
  auto o = f.deliver(f.game, with_cc(cc));
  CHECK(o.mails == 1);  // the customer's confirmation only: nothing to the Cc'd
  CHECK(f.outbox(MailKind::thank_you) == Strings{"c@example.org"});
  Strings want;
  for (int i = 0; i < 10; ++i) want.push_back("p" + std::to_string(i) + "@example.net");
  CHECK(roles(f, "acme/game#1", "cc") == want);
  CHECK(roles(f, "acme/game#1", "customer") == Strings{"c@example.org"});
  CHECK(f.st.check().empty());
}

TEST_CASE("cc participants: the public answers, not the customer's text, within the hourly cap") {
  Fixture f;
  f.desk.set_project_flag("acme/game", "cc_participants", true);
  f.deliver(f.game, with_cc({"a@example.net", "b@example.net"}));
  // A customer's reply is mailed to members only: not to the Cc'd.
  auto customer = f.reply_of("acme/game#1", "c@example.org");
  f.deliver(customer, Fixture::mail("c@example.org", "r1@x", "more from the customer"));
  CHECK(f.outbox(MailKind::new_note).empty());
  // A responder's public answer: the customer and both Cc'd.
  CHECK(f.desk.add_note("acme/game#1", {"agent@acme.example", "responder", "answer", false}) == 3);
  CHECK(f.outbox(MailKind::new_note) == Strings{"c@example.org", "a@example.net", "b@example.net"});
  // The cap counts confirmations and mails to Cc participants together:
  // 1 confirmation + 2 above = 3; with a cap of 4 only one more goes out.
  f.desk.set_unsolicited_per_hour(4);
  CHECK(f.desk.add_note("acme/game#1", {"agent@acme.example", "responder", "again", false}) == 2);
  CHECK(f.outbox(MailKind::new_note).size() == 5);
  // An hour later the cap has room again.
  f.now += 3601;
  CHECK(f.desk.add_note("acme/game#1", {"agent@acme.example", "responder", "later", false}) == 3);
  // A Cc'd participant that unsubscribes gets nothing more.
  f.deliver(f.reply_of("acme/game#1", "a@example.net", true), Fixture::mail("a@example.net", "u@x"));
  CHECK(f.desk.add_note("acme/game#1", {"agent@acme.example", "responder", "last", false}) == 2);
}

TEST_CASE("cc participants: responders add and remove them") {
  Fixture f;
  f.desk.set_own_domain("support.example.com");
  f.desk.add_member("acme/game", "agent@acme.example");
  f.deliver(f.game, Fixture::mail("c@example.org", "m1@x"));
  CHECK(f.desk.add_participant("acme/game#1", "boss@example.org"));
  CHECK_FALSE(f.desk.add_participant("acme/game#1", "boss@example.org"));
  CHECK_THROWS_AS(f.desk.add_participant("acme/game#1", "agent@acme.example"), desk::Invalid);
  CHECK_THROWS_AS(f.desk.add_participant("acme/game#1", "help@acme.example"), desk::Invalid);
  CHECK_THROWS_AS(f.desk.add_participant("acme/game#1", "desk+x@Support.Example.com"),
                  desk::Invalid);
  CHECK_THROWS_AS(f.desk.add_participant("acme/game#1", "a@b@c"), desk::Invalid);
  CHECK_THROWS_AS(f.desk.add_participant("acme/game#1", "x <y@z>"), desk::Invalid);
  CHECK_THROWS_AS(f.desk.add_participant("acme/game#9", "boss@example.org"), store::Error);
  // Added later: no history mailed, only what follows.
  auto before = f.st.state().outbox.size();
  CHECK(f.st.state().outbox.size() == before);
  CHECK(f.desk.add_note("acme/game#1", {"agent@acme.example", "responder", "hi", false}) == 2);
  CHECK(f.desk.remove_participant("acme/game#1", "boss@example.org"));
  CHECK_FALSE(f.desk.remove_participant("acme/game#1", "nobody@example.org"));
  CHECK(f.desk.add_note("acme/game#1", {"agent@acme.example", "responder", "bye", false}) == 1);
}
