// The conversation over the in-memory store: who is mailed on each action,
// reopen on reply, responders by mail, close/reopen, quarantine release.
#include "fixture.h"

using desk_test::Fixture;
using desk_test::Strings;
using store::MailKind;
using Kind = store::Outcome::Kind;

namespace {
// acme/game#1 from c@example.org; the confirmation is forgotten.
struct Conversation : Fixture {
  Conversation() {
    deliver(game, mail("c@example.org", "first@x"));
    composer.mails.clear();
  }
  store::Outcome reply(const std::string& from, const std::string& mid, bool automated = false) {
    auto in = mail(from, mid, "reply " + mid);
    in.automated = automated;
    return deliver(reply_of("acme/game#1", "c@example.org"), in);
  }
};
}  // namespace

TEST_CASE("desk conversation: a customer's reply reopens a closed issue, unless automated") {
  Conversation f;
  CHECK(f.desk.set_state("acme/game#1", "closed") == 1);
  CHECK(f.outbox(MailKind::closed) == Strings{"c@example.org"});
  CHECK(f.issue(1).closed_at == f.now);

  f.now += 10;
  CHECK(f.reply("c@example.org", "auto@x", true).kind == Kind::noted);
  CHECK(f.issue(1).state == "closed");  // an auto-reply reopens nothing

  auto o = f.reply("c@example.org", "r1@x");
  CHECK(o.kind == Kind::noted);
  CHECK(o.mails == 0);  // members are not notified by default
  CHECK(f.issue(1).state == "opened");
  CHECK_FALSE(f.issue(1).closed_at);
  CHECK(f.issue(1).updated_at == f.now);
  // The customer's note, then the system note that records the reopening.
  auto& notes = f.st.state().notes;
  CHECK(notes[notes.size() - 2].row.author_kind == "customer");
  CHECK(notes.back().row.author_kind == "system");
  CHECK(f.outbox(MailKind::reopened).empty());  // reopening by mail mails no one

  f.desk.set_state("acme/game#1", "closed");
  f.desk.set_project_flag("acme/game", "reopen_on_reply", false);
  f.reply("c@example.org", "r2@x");
  CHECK(f.issue(1).state == "closed");
}

TEST_CASE("desk conversation: members hear of a customer's reply when the project notifies them") {
  Conversation f;
  f.desk.add_member("acme/game", "agent@acme.example");
  f.desk.set_project_flag("acme/game", "notify_members", true);
  auto o = f.reply("c@example.org", "r1@x");
  CHECK(o.mails == 1);
  CHECK(f.outbox(MailKind::member_note) == Strings{"agent@acme.example"});
  CHECK(f.composer.mails.back().note == "reply r1@x");
  CHECK(f.composer.mails.back().author == "c@example.org");
  CHECK(f.composer.mails.back().refs == Strings{"first@x", "r1@x"});
}

TEST_CASE("desk conversation: a member's mail to a reply address is a responder's note") {
  Conversation f;
  f.desk.add_member("acme/game", "agent@acme.example");
  f.desk.set_project_flag("acme/game", "notify_members", true);
  // The member's own reply address, from a member notification.
  f.reply("c@example.org", "r1@x");
  auto member = f.reply_of("acme/game#1", "agent@acme.example");
  auto in = Fixture::mail("Agent@ACME.example", "a1@x", "we are on it");
  in.author_proven = true;  // the site's Authentication-Results vouch for From
  auto o = f.deliver(member, in);
  CHECK(o.kind == Kind::noted);
  CHECK(o.mails == 1);
  CHECK(f.st.state().notes.back().row.author_kind == "responder");
  CHECK_FALSE(f.st.state().notes.back().row.internal);
  CHECK(f.st.state().notes.back().row.verified);
  CHECK(f.outbox(MailKind::new_note) == Strings{"c@example.org"});
  CHECK(f.composer.mails.back().note == "we are on it");
  // An automated mail from a member is kept, but mailed to no one.
  in = Fixture::mail("agent@acme.example", "a2@x");
  in.author_proven = true;
  in.automated = true;
  CHECK(f.deliver(member, in).mails == 0);
}

TEST_CASE("desk conversation: a member's key without the site's proof is an internal note") {
  Conversation f;
  f.desk.add_member("acme/game", "agent@acme.example");
  f.desk.set_project_flag("acme/game", "notify_members", true);
  f.reply("c@example.org", "r1@x");
  auto member = f.reply_of("acme/game#1", "agent@acme.example");
  auto customers_before = f.outbox(MailKind::new_note).size();

  // From names the member, nothing proves it: kept for the team, marked,
  // mailed to no customer; the member is told.
  auto forged = Fixture::mail("agent@acme.example", "f1@x", "confirm your card at evil.example");
  auto o = f.deliver(member, forged);
  CHECK(o.kind == Kind::noted);
  const auto& n = f.st.state().notes.back().row;
  CHECK(n.internal);
  CHECK_FALSE(n.verified);
  CHECK(n.author == "agent@acme.example");
  CHECK(f.outbox(MailKind::new_note).size() == customers_before);
  CHECK(f.outbox(MailKind::member_unverified) == Strings{"agent@acme.example"});

  // Proven, but From is someone else than the key's member: the same.
  auto other = Fixture::mail("boss@acme.example", "f2@x", "wire the money");
  other.author_proven = true;
  f.deliver(member, other);
  CHECK(f.st.state().notes.back().row.internal);
  CHECK(f.st.state().notes.back().row.author == "agent@acme.example");
  CHECK(f.outbox(MailKind::new_note).size() == customers_before);

  // A customer's key needs no proof, but the note says it had none.
  auto customer = f.reply_of("acme/game#1", "c@example.org");
  f.deliver(customer, Fixture::mail("c@example.org", "c2@x", "still broken"));
  CHECK(f.st.state().notes.back().row.author_kind == "customer");
  CHECK_FALSE(f.st.state().notes.back().row.internal);
  CHECK_FALSE(f.st.state().notes.back().row.verified);
}

TEST_CASE(
    "desk conversation: responders' notes: public ones to the customers, internal to no one") {
  Conversation f;
  // A second customer row on the issue (the desk mails each one it finds).
  f.deliver(f.game, Fixture::mail("d@example.org", "other@x"));
  auto& parts = f.st.state().participants;
  parts.back().issue_id = f.issue(1).id;
  f.composer.mails.clear();

  CHECK(f.desk.add_note("acme/game#1", {"agent@acme.example", "responder", "internal", true}) == 0);
  CHECK(f.composer.mails.empty());
  CHECK(f.desk.add_note("acme/game#1", {"agent@acme.example", "responder", "public", false}) == 2);
  CHECK(f.outbox(MailKind::new_note) == Strings{"c@example.org", "d@example.org"});
  CHECK(f.composer.mails.back().refs == Strings{"first@x"});
  // A note by one of the customers (through the CLI) is not mailed back to them.
  CHECK(f.desk.add_note("acme/game#1", {"D@example.org", "responder", "x", false}) == 1);
  CHECK_THROWS_AS(f.desk.add_note("acme/game#9", {"a@b", "responder", "x", false}), store::Error);
  CHECK_THROWS_AS(f.desk.add_note("nohash", {"a@b", "responder", "x", false}), store::Error);
}

TEST_CASE("desk conversation: close and reopen mail the customers; the same state again is -1") {
  Conversation f;
  CHECK(f.desk.set_state("acme/game#1", "opened") == -1);
  CHECK(f.desk.set_state("acme/game#1", "closed") == 1);
  CHECK(f.desk.set_state("acme/game#1", "closed") == -1);
  CHECK(f.desk.set_state("acme/game#1", "opened") == 1);
  CHECK(f.outbox(MailKind::closed) == Strings{"c@example.org"});
  CHECK(f.outbox(MailKind::reopened) == Strings{"c@example.org"});
  CHECK_THROWS_AS(f.desk.set_state("acme/game#1", "done"), store::Error);
}

TEST_CASE("desk conversation: quarantine and release; the confirmation goes out once") {
  Fixture f;
  auto in = Fixture::mail("c@example.org", "s1@x");
  in.spam = true;
  CHECK(f.deliver(f.game, in).kind == Kind::quarantined);
  // A quarantined reply neither reopens nor reaches anyone.
  f.deliver(f.game, Fixture::mail("d@example.org", "d1@x"));
  f.desk.set_state("acme/game#2", "closed");
  auto spam_reply = Fixture::mail("d@example.org", "d2@x");
  spam_reply.spam = true;
  CHECK(f.deliver(f.reply_of("acme/game#2", "d@example.org"), spam_reply).kind ==
        Kind::quarantined);
  CHECK(f.issue(2).state == "closed");

  CHECK(f.desk.set_spam("acme/game#1", true) == -1);
  CHECK(f.desk.set_spam("acme/game#1", false) == 1);  // released: its confirmation
  CHECK(f.outbox(MailKind::thank_you) == Strings{"d@example.org", "c@example.org"});
  CHECK(f.desk.set_spam("acme/game#1", true) == 0);
  CHECK(f.desk.set_spam("acme/game#1", false) == 0);  // one went out already
  CHECK(f.outbox(MailKind::thank_you).size() == 2);
}
