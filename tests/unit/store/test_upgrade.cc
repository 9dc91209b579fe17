// The upgrade a mail admin runs (issue 19): a database left at schema 5 by
// deskmail 0.1.0, with mail in it, migrated by 'deskmail db migrate' to this
// program's schema. Runs on SQLite, and on PostgreSQL when DESKMAIL_TEST_PG
// names a database (contrib/dev/test's "pg" group). The old rows are written
// with plain SQL in the version 5 layout (as 0.1.0 wrote them: ids from the
// database) and read back through the Store API only.
#include <doctest/doctest.h>
#include <soci/soci.h>

#include "desk/desk.h"
#include "empty_db.h"
#include "store/store.h"

namespace {

const std::chrono::milliseconds kWait(5000);
const std::int64_t kThen = 1700000000;  // when 0.1.0 stored it
const std::string kKey1(32, 'a'), kKey2(32, 'b');
const std::string kOldMail = std::string("Subject: old\r\n\r\n\0\xff", 18) + "queued by 0.1.0\r\n";

struct Composer : store::Composer {
  int n = 0;
  store::OutMail compose(const store::MailContext& ctx) override {
    ++n;
    return {"Re: " + ctx.issue_title, "up" + std::to_string(n) + "@desk.test", "desk@desk.test",
            "Subject: x\r\n\r\n" + ctx.to_email + "\r\n"};
  }
};

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) (out += digits[c >> 4]) += digits[c & 15];
  return out;
}

// Writes 0.1.0's rows in the version 5 layout; ids come from the database.
struct OldDesk {
  soci::session s;
  bool pg;
  OldDesk(const std::string& conn, bool postgresql) : s(conn), pg(postgresql) {}

  std::string blob(const std::string& bytes) {
    return pg ? "decode('" + hex(bytes) + "', 'hex')" : "X'" + hex(bytes) + "'";
  }
  std::int64_t insert(const std::string& sql) {
    long long id = 0;
    s << sql + " RETURNING id", soci::into(id);
    return id;
  }
  std::int64_t raw(const std::string& sha, const std::string& bytes) {
    return insert(
        "INSERT INTO raw_message (sha256, mail_from, size, received_at, content) "
        "VALUES ('" +
        sha + "', 'c@example.org', " + std::to_string(bytes.size()) + ", " + std::to_string(kThen) +
        ", " + blob(bytes) + ")");
  }
  std::int64_t issue(std::int64_t project, int iid, const std::string& title,
                     const std::string& mid, const std::string& state) {
    auto r = raw("sha-" + mid, "Subject: " + title + "\r\nMessage-ID: <" + mid + ">\r\n\r\nhi\r\n");
    auto id = insert(
        "INSERT INTO issue (project_id, iid, title, description, state, author_email, "
        "author_name, message_id, raw_message_id, created_at, updated_at, closed_at) VALUES (" +
        std::to_string(project) + ", " + std::to_string(iid) + ", '" + title + "', 'about " +
        title + "', '" + state + "', 'c@example.org', 'Carol', '" + mid + "', " +
        std::to_string(r) + ", " + std::to_string(kThen) + ", " + std::to_string(kThen) + ", " +
        (state == "closed" ? std::to_string(kThen + 60) : "NULL") + ")");
    s << "INSERT INTO message_ref (message_id, issue_id) VALUES ('" + mid + "', " +
             std::to_string(id) + ")";
    s << "INSERT INTO dedupe (scope, dkey, ref, created_at) VALUES ('project:" +
             std::to_string(project) + "', 'mid:" + mid + "', 'acme/game#" + std::to_string(iid) +
             "', " + std::to_string(kThen) + ")";
    return id;
  }
  std::int64_t participant(std::int64_t issue, const std::string& key) {
    return insert(
        "INSERT INTO participant (issue_id, email, name, role, reply_key, created_at) VALUES (" +
        std::to_string(issue) + ", 'c@example.org', 'Carol', 'customer', '" + key + "', " +
        std::to_string(kThen) + ")");
  }
  void note(std::int64_t issue, const std::string& kind, const std::string& author,
            const std::string& part, const std::string& body, int internal,
            const std::string& raw_id) {
    s << "INSERT INTO note (issue_id, author_kind, author, participant_id, body, full_body, "
         "internal, message_id, raw_message_id, created_at) VALUES (" +
             std::to_string(issue) + ", '" + kind + "', '" + author + "', " + part + ", '" + body +
             "', '" + body + "', " + std::to_string(internal) + ", '', " + raw_id + ", " +
             std::to_string(kThen + 30) + ")";
  }

  // A project, two issues with notes, their customer's reply keys and one
  // pending mail, as 0.1.0 left them.
  void fill() {
    s << "BEGIN";
    auto p = insert(
        "INSERT INTO project (path, name, project_key, last_iid, created_at) VALUES "
        "('acme/game', 'Game', 'key-game', 2, " +
        std::to_string(kThen) + ")");
    s << "INSERT INTO project_alias (address, project_id) VALUES ('desk@acme.test', " +
             std::to_string(p) + ")";
    s << "INSERT INTO project_member (project_id, email) VALUES (" + std::to_string(p) +
             ", 'resp@acme.test')";
    auto i1 = issue(p, 1, "Printer on fire", "i1@example.org", "opened");
    auto i2 = issue(p, 2, "Lost password", "i2@example.org", "closed");
    auto c1 = participant(i1, kKey1);
    participant(i2, kKey2);
    auto r = raw("sha-r1", "Subject: Re: Printer on fire\r\n\r\nstill burning\r\n");
    note(i1, "customer", "c@example.org", std::to_string(c1), "still burning", 0,
         std::to_string(r));
    note(i1, "responder", "resp@acme.test", "NULL", "extinguisher sent", 0, "NULL");
    note(i2, "responder", "resp@acme.test", "NULL", "reset by hand", 1, "NULL");
    s << "INSERT INTO outbox (kind, issue_id, recipient, mail_from, subject, message_id, "
         "content, next_attempt_at, created_at) VALUES ('new_note', " +
             std::to_string(i1) +
             ", 'c@example.org', 'desk@acme.test', 'Re: Printer on fire', 'old1@desk.test', " +
             blob(kOldMail) + ", 0, " + std::to_string(kThen + 30) + ")";
    s << "COMMIT";
  }
};

store::Inbound mail(const std::string& mid, const std::string& body) {
  store::Inbound in;
  in.dedupe_key = "mid:" + mid;
  in.mail_from = in.author_email = in.contact_email = "c@example.org";
  in.title = "new after the upgrade";
  in.body = body;
  in.message_id = mid;
  in.raw = common::bytes_of("Subject: t\r\n\r\n" + body);
  in.raw_sha256 = "sha-" + mid;
  return in;
}

std::vector<std::string> bodies(const store::IssueDetail& d) {
  std::vector<std::string> out;
  for (const auto& n : d.notes) out.push_back(n.body);
  return out;
}

}  // namespace

TEST_CASE("store: upgrade from schema 5 with mail in it") {
  store_test::EmptyDb db("unit");
  const std::string& conn = db.conn;
  INFO(conn);
  {
    auto st = store::open(conn, kWait, 1);
    REQUIRE(st->migrate_to(5) == 5);
    OldDesk(conn, db.pg).fill();
  }
  // What 'deskmail db migrate' does.
  auto st = store::open(conn, kWait, 4);
  CHECK(st->version() == 5);
  CHECK(st->migrate() == store::Store::kSchemaVersion);
  CHECK(st->version() == store::Store::kSchemaVersion);
  CHECK(st->check().empty());

  auto project = st->find_project("acme/game");
  REQUIRE(project);
  CHECK(project->name == "Game");
  CHECK(project->issues == 2);
  CHECK(project->members == std::vector<std::string>{"resp@acme.test"});
  CHECK(project->aliases == std::vector<std::string>{"desk@acme.test"});
  CHECK(st->find_project_key("key-game"));
  CHECK(st->list_issues({}).size() == 2);

  auto i1 = st->show_issue("acme/game#1");
  REQUIRE(i1);
  CHECK(i1->summary.title == "Printer on fire");
  CHECK(i1->summary.state == "opened");
  CHECK(i1->description == "about Printer on fire");
  CHECK(bodies(*i1) == std::vector<std::string>{"still burning", "extinguisher sent"});
  REQUIRE(i1->participants.size() == 1);
  CHECK(i1->participants[0].reply_key == kKey1);
  auto i2 = st->show_issue("acme/game#2");
  REQUIRE(i2);
  CHECK(i2->summary.state == "closed");
  REQUIRE(i2->notes.size() == 1);
  CHECK(i2->notes[0].internal);

  auto reply = st->find_reply_key(kKey1, false);
  REQUIRE(reply);
  CHECK(reply->issue_ref == "acme/game#1");
  CHECK(st->find_reply_key(kKey2, true));

  // The mail 0.1.0 queued goes out with its bytes.
  auto pending = st->list_outbox("pending");
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].message_id == "old1@desk.test");
  auto claimed = st->claim_outbox(10, kThen * 2, "upgrade-test");
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].content == kOldMail);
  st->outbox_sent(claimed[0].id);

  // Delivery goes on on top: the old Message-ID is still a duplicate, a reply
  // by the old key is a note, a new mail is issue 3, and the desk's mail is queued
  // beside the old row.
  Composer composer;
  desk::Desk desk(*st, &composer);
  auto target = st->find_project_key("key-game");
  auto dup = desk.deliver(*target, mail("i1@example.org", "again"));
  CHECK(dup.kind == store::Outcome::Kind::duplicate);
  CHECK(dup.ref == "acme/game#1");
  auto noted = desk.deliver(*reply, mail("r2@example.org", "smoke everywhere"));
  CHECK(noted.kind == store::Outcome::Kind::noted);
  auto created = desk.deliver(*target, mail("n3@example.org", "a new one"));
  CHECK(created.kind == store::Outcome::Kind::created);
  CHECK(created.ref == "acme/game#3");
  CHECK(created.mails >= 1);
  CHECK(bodies(*st->show_issue("acme/game#1")).back() == "smoke everywhere");
  CHECK(st->list_outbox("sent").size() == 1);
  CHECK(st->list_outbox("pending").size() == static_cast<std::size_t>(composer.n));
  CHECK(st->check().empty());

  st.reset();
}
