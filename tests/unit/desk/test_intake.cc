// The desk's intake over the in-memory store: what a message to one
// recipient becomes (created, noted, duplicate, unsubscribed, bounce,
// quarantined, rate_limited), threading, and the confirmation cap.
#include "fixture.h"

using desk_test::Fixture;
using desk_test::Strings;
using store::MailKind;
using Kind = store::Outcome::Kind;

TEST_CASE("desk intake: a new issue, its customer, its confirmation; the same message again") {
  Fixture f;
  auto in = Fixture::mail("c@example.org", "m1@x");
  in.contact_email = "answers@example.org";  // Reply-To: never mailed (issue 18)
  auto o = f.deliver(f.game, in);
  CHECK(o.kind == Kind::created);
  CHECK(o.ref == "acme/game#1");
  CHECK(o.mails == 1);
  // The customer is who wrote, envelope and From agreeing; the key is theirs.
  CHECK(f.outbox(MailKind::thank_you) == Strings{"c@example.org"});
  REQUIRE(f.composer.mails.size() == 1);
  auto d = f.st.show_issue("acme/game#1");
  REQUIRE(d->participants.size() == 1);
  CHECK(d->participants[0].email == "c@example.org");
  CHECK(d->participants[0].reply_key.size() == 32);
  CHECK(f.composer.mails[0].reply_key == d->participants[0].reply_key);
  CHECK(f.composer.mails[0].refs == Strings{"m1@x"});
  CHECK(f.deliver(f.game, Fixture::mail("d@example.org", "m2@x")).ref == "acme/game#2");

  // An MTA's resend: answered with the first result; nothing new, no mail.
  auto runs_before = f.st.rolled_back;
  auto again = f.deliver(f.game, in);
  CHECK(again.kind == Kind::duplicate);
  CHECK(again.ref == "acme/game#1");
  CHECK(again.mails == 0);
  CHECK(f.st.state().issues.size() == 2);
  CHECK(f.outbox(MailKind::thank_you).size() == 2);
  CHECK(f.st.rolled_back == runs_before + 1);
  CHECK(f.st.check().empty());
}

TEST_CASE("desk intake: no confirmation to a sender never answered, or when the project says so") {
  Fixture f;
  auto in = Fixture::mail("noreply@example.org", "m1@x");
  in.never_answer = true;
  CHECK(f.deliver(f.game, in).mails == 0);
  f.desk.set_project_flag("acme/game", "confirmation", false);
  CHECK(f.deliver(f.game, Fixture::mail("c@example.org", "m2@x")).mails == 0);
  CHECK(f.outbox(MailKind::thank_you).empty());
  CHECK(f.st.state().issues.size() == 2);

  Fixture g;  // no composer: stored, nothing mailed
  desk::Desk quiet(g.st, nullptr);
  CHECK(quiet.deliver(g.game, Fixture::mail("c@example.org", "m3@x")).kind == Kind::created);
  CHECK(g.st.state().outbox.empty());
}

TEST_CASE("desk intake: members hear of a new issue when the project notifies them") {
  Fixture f;
  f.desk.add_member("acme/game", "agent@acme.example");
  f.desk.add_member("acme/game", "boss@acme.example");
  CHECK(f.deliver(f.game, Fixture::mail("c@example.org", "m1@x")).mails == 1);
  f.desk.set_project_flag("acme/game", "notify_members", true);
  // A member's own new issue is not mailed back to them.
  auto o = f.deliver(f.game, Fixture::mail("Boss@acme.example", "m2@x", "text"));
  CHECK(o.mails == 2);
  CHECK(f.outbox(MailKind::member_new_issue) == Strings{"agent@acme.example"});
  auto d = f.st.show_issue("acme/game#2");
  REQUIRE(d->participants.size() == 2);  // the customer, and the member who can answer by mail
  CHECK(d->participants[1].email == "agent@acme.example");
  CHECK(f.composer.mails.back().note == "text");
  CHECK(f.composer.mails.back().reply_key == d->participants[1].reply_key);
}

TEST_CASE("desk intake: too many new issues from one sender: rate_limited, nothing kept") {
  Fixture f;
  auto limited = [](store::Inbound in) {
    in.new_issues_per_sender_hour = 2;
    return in;
  };
  CHECK(f.deliver(f.game, limited(Fixture::mail("c@example.org", "m1@x"))).kind == Kind::created);
  CHECK(f.deliver(f.game, limited(Fixture::mail("c@example.org", "m2@x"))).kind == Kind::created);
  auto third = limited(Fixture::mail("c@example.org", "m3@x"));
  auto o = f.deliver(f.game, third);
  CHECK(o.kind == Kind::rate_limited);
  CHECK(o.ref.empty());
  CHECK(f.st.state().issues.size() == 2);
  CHECK(f.st.state().dedupe.size() == 2);  // not even the dedupe key: a retry is a new try
  CHECK(f.deliver(f.game, limited(Fixture::mail("d@example.org", "m4@x"))).kind == Kind::created);
  f.now += 3601;  // an hour later the MTA's retry goes through
  CHECK(f.deliver(f.game, third).kind == Kind::created);
}

TEST_CASE("desk intake: at most N confirmations to one address a day") {
  Fixture f;
  int created = 0;
  for (int i = 0; i < 4; ++i) {
    auto in = Fixture::mail("bot@example.org", "c" + std::to_string(i) + "@x");
    in.confirmations_per_sender_day = 2;
    created += f.deliver(f.game, in).kind == Kind::created;
  }
  CHECK(created == 4);  // every issue is stored
  CHECK(f.outbox(MailKind::thank_you).size() == 2);
  f.now += 86401;
  auto in = Fixture::mail("bot@example.org", "c9@x");
  in.confirmations_per_sender_day = 2;
  CHECK(f.deliver(f.game, in).mails == 1);
}

TEST_CASE("desk intake: quarantined mail is stored flagged and never answered") {
  Fixture f;
  auto spam = Fixture::mail("s@example.org", "s1@x");
  spam.spam = true;
  spam.spam_reason = "X-Spam-Flag: YES";
  auto o = f.deliver(f.game, spam);
  CHECK(o.kind == Kind::quarantined);
  CHECK(o.mails == 0);
  CHECK(f.issue(1).row.spam);
  CHECK(f.st.list_issues({}).empty());  // hidden from the queue
}

TEST_CASE("desk intake: unsubscribe, and a bounce to a reply address") {
  Fixture f;
  f.deliver(f.game, Fixture::mail("c@example.org", "m1@x"));
  auto unsub = f.reply_of("acme/game#1", "c@example.org", true);
  auto o = f.deliver(unsub, Fixture::mail("c@example.org", "u1@x", ""));
  CHECK(o.kind == Kind::unsubscribed);
  CHECK(o.ref == "acme/game#1");
  CHECK_FALSE(f.st.show_issue("acme/game#1")->participants[0].subscribed);
  CHECK(f.desk.add_note("acme/game#1", {"agent@acme.example", "responder", "hi", false}) == 0);

  auto dsn = Fixture::mail("MAILER-DAEMON@example.org", "b1@x", "undeliverable");
  dsn.bounce = true;
  auto b = f.deliver(f.reply_of("acme/game#1", "c@example.org"), dsn);
  CHECK(b.kind == Kind::bounce);
  CHECK(b.ref == "acme/game#1");
  CHECK(f.st.show_issue("acme/game#1")->participants[0].bouncing);
  CHECK(f.st.state().notes.size() == 1);  // the responder's note only
  // A DSN to a project address is mail like any other.
  dsn.dedupe_key = "mid:b2@x";
  CHECK(f.deliver(f.game, dsn).kind == Kind::created);
}

TEST_CASE("desk intake: threading by In-Reply-To/References onto an issue of the project") {
  Fixture f;
  f.desk.add_project({"acme/web", "Web", "", {}});
  auto web = *f.st.find_project_key("acme-web");
  f.deliver(f.game, Fixture::mail("c@example.org", "first@x"));
  std::string confirmation = f.composer.mails.back().message_id;

  // The customer answers the confirmation through the project address.
  auto in = Fixture::mail("c@example.org", "second@x", "more");
  in.thread_ids = {"unknown@x", confirmation};
  auto o = f.deliver(f.game, in);
  CHECK(o.kind == Kind::noted);
  CHECK(o.ref == "acme/game#1");
  REQUIRE(f.st.state().notes.size() == 1);
  CHECK(f.st.state().notes[0].row.author_kind == "customer");
  CHECK(f.st.state().notes[0].row.participant_id == f.st.state().participants[0].p.id);

  // A stranger who knows the Message-ID (anyone the customer Cc'd) speaks
  // for no one on that issue: a new issue of their own.
  auto stranger = Fixture::mail("x@example.org", "third@x");
  stranger.thread_ids = {"first@x"};
  auto s = f.deliver(f.game, stranger);
  CHECK(s.kind == Kind::created);
  CHECK(s.ref == "acme/game#2");
  CHECK(f.st.state().notes.size() == 1);

  // Threads never cross projects: a new issue there.
  auto other = Fixture::mail("c@example.org", "fourth@x");
  other.thread_ids = {"first@x"};
  CHECK(f.deliver(web, other).ref == "acme/web#1");
}

TEST_CASE("desk intake: text that is not UTF-8 is repaired before any rule reads it") {
  Fixture f;
  auto in = Fixture::mail(std::string("c\xff@example.org"), "m1@x");
  in.title = std::string("bad\0title", 9);
  CHECK(f.deliver(f.game, in).kind == Kind::created);
  CHECK(f.issue(1).row.title == "badtitle");
  CHECK(f.issue(1).row.author_email == "c\xEF\xBF\xBD@example.org");
  CHECK(f.outbox(MailKind::thank_you) == Strings{"c\xEF\xBF\xBD@example.org"});
}

TEST_CASE("desk intake: a failing mail leaves nothing of the delivery behind") {
  Fixture f;
  f.composer.fail = true;
  CHECK_THROWS(f.deliver(f.game, Fixture::mail("c@example.org", "m1@x")));
  CHECK(f.st.state().issues.empty());
  CHECK(f.st.state().dedupe.empty());
  f.composer.fail = false;
  CHECK(f.deliver(f.game, Fixture::mail("c@example.org", "m1@x")).ref == "acme/game#1");
}
