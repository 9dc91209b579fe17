// Store conformance for the tracker (issue 20), on SQLite and, in the pg
// suite (DESKMAIL_TEST_PG), on PostgreSQL: labels, assignees, members'
// notify, the filters and sorts of the queue, the search index (Russian,
// Japanese of three characters and of two, accents typed without them, a
// word in a note), and the index built by migration 8 and by 'db copy'.
#include <doctest/doctest.h>
#include <soci/soci.h>

#include "desk/desk.h"
#include "desk/tracker.h"
#include "empty_db.h"
#include "store/store.h"

namespace {

const std::chrono::milliseconds kWait(5000);
using Strings = std::vector<std::string>;

struct Db : store_test::EmptyDb {
  std::unique_ptr<store::Store> st;
  std::int64_t now = 1'700'000'000;
  std::unique_ptr<desk::Desk> desk;
  store::Target target;

  Db() : EmptyDb("unit") {
    st = store::open(conn, kWait, 2);
    st->init();
    open_desk();
    desk->add_project({"acme/game", "Game", "", {}});
    desk->add_member("acme/game", "agent@acme.example");
    target = *st->find_project_key("acme-game");
  }
  ~Db() {
    desk.reset();
    st.reset();
  }
  void open_desk() {
    desk = std::make_unique<desk::Desk>(*st, nullptr);
    desk->set_clock([this] { return now; });
  }
  std::string deliver(const std::string& mid, const std::string& title, const std::string& body) {
    store::Inbound in;
    in.dedupe_key = "mid:" + mid;
    in.mail_from = in.author_email = in.contact_email = "c@example.org";
    in.title = title;
    in.body = body;
    in.message_id = mid;
    in.raw = common::bytes_of("Subject: x\r\n\r\n" + body);
    in.raw_sha256 = "sha-" + mid;
    auto o = desk->deliver(target, in);
    REQUIRE(o.kind == store::Outcome::Kind::created);
    now += 10;
    return o.ref;
  }
  Strings refs(const store::IssueFilter& f) {
    Strings out;
    for (const auto& s : desk->issues(f)) out.push_back(s.ref);
    return out;
  }
  Strings search(const std::string& text) {
    store::IssueFilter f;
    f.search = text;
    return refs(f);
  }
};

}  // namespace

TEST_CASE("store tracker: labels, assignee, notify, filters and sorts") {
  Db db;
  INFO(db.conn);
  auto one = db.deliver("1@x", "first", "a");
  auto two = db.deliver("2@x", "second", "b");
  auto three = db.deliver("3@x", "third", "c");
  db.desk->add_label("acme/game", "bug", "#c00");
  db.desk->add_label("acme/game", "UI", "");
  CHECK_THROWS_AS(db.desk->add_label("acme/game", "ui", ""), store::Error);
  auto labels = db.desk->labels("acme/game");
  REQUIRE(labels.size() == 2);
  CHECK(labels[0].name == "bug");
  CHECK(labels[0].colour == "#c00");
  CHECK(labels[1].name == "UI");

  CHECK(db.desk->assign(two, "agent@acme.example", "agent@acme.example"));
  db.desk->relabel(one, {"bug", "ui"}, {}, "agent@acme.example");
  db.desk->relabel(two, {"bug"}, {}, "agent@acme.example");
  db.desk->relabel(three, {"ui"}, {}, "agent@acme.example");
  db.desk->relabel(three, {}, {"UI"}, "agent@acme.example");

  auto d = db.st->show_issue(one);
  CHECK(d->summary.labels == Strings{"UI", "bug"});
  CHECK(d->summary.assignee.empty());
  REQUIRE(d->notes.size() == 1);
  CHECK(d->notes[0].author_kind == "system");
  CHECK(d->notes[0].body == "added label ~bug ~UI");
  CHECK(d->notes[0].internal);
  CHECK(db.st->show_issue(two)->summary.assignee == "agent@acme.example");

  store::IssueFilter f;
  f.assignee = "agent@acme.example";
  CHECK(db.refs(f) == Strings{two});
  f.assignee = "";
  CHECK(db.refs(f) == Strings{one, three});
  f = {};
  f.labels = {"BUG"};
  CHECK(db.refs(f) == Strings{one, two});
  f.labels = {"bug", "ui"};
  CHECK(db.refs(f) == Strings{one});
  f.labels = {"nope"};
  CHECK(db.refs(f).empty());
  f = {};
  f.sort = store::IssueSort::created;
  CHECK(db.refs(f) == Strings{three, two, one});
  db.now += 100;
  db.desk->assign(one, "agent@acme.example", "agent@acme.example");
  f.sort = store::IssueSort::updated;
  CHECK(db.refs(f) == Strings{one, three, two});
  f.limit = 1;
  CHECK(db.refs(f) == Strings{one});
  auto listed = db.desk->issues({});
  REQUIRE(listed.size() == 3);
  CHECK(listed[0].labels == Strings{"UI", "bug"});
  CHECK(listed[0].assignee == "agent@acme.example");
  CHECK(listed[2].labels.empty());

  // Removing a label takes it off its issues.
  CHECK(db.desk->remove_label("acme/game", "bug"));
  CHECK(db.st->show_issue(two)->summary.labels.empty());

  // A member's mail off, and on again.
  CHECK(db.desk->set_member_notify("acme/game", "agent@acme.example", false));
  CHECK(db.desk->projects()[0].muted == Strings{"agent@acme.example"});
  CHECK_FALSE(db.desk->set_member_notify("acme/game", "else@acme.example", false));
  CHECK(db.desk->set_member_notify("acme/game", "agent@acme.example", true));
  CHECK(db.desk->projects()[0].muted.empty());
  CHECK(db.st->check().empty());
}

TEST_CASE("store tracker: search: Russian, Japanese, accents, notes, not system notes") {
  Db db;
  INFO(db.conn);
  auto ru = db.deliver("ru@x", "Не работает вход", "Пароль не подходит после обновления");
  auto ja = db.deliver("ja@x", "ログインできません", "東京のサーバーに接続できません。");
  auto fr = db.deliver("fr@x", "Facture impayée", "Le résumé de la facture est erroné");
  auto en = db.deliver("en@x", "Printer", "The PRINTER is on fire");
  db.desk->add_note(en, {"agent@acme.example", "responder", "Replaced the toner cartridge", true});
  db.desk->set_state(ru, "closed", "agent@acme.example");  // a system note: "closed"

  CHECK(db.search("пароль") == Strings{ru});  // Cyrillic, any case
  CHECK(db.search("ОБНОВЛЕНИЯ") == Strings{ru});
  CHECK(db.search("サーバー") == Strings{ja});  // Japanese, four characters
  CHECK(db.search("接続") == Strings{ja});      // two characters inside a run
  CHECK(db.search("東京") == Strings{ja});
  CHECK(db.search("ログイン") == Strings{ja});  // in the title
  CHECK(db.search("resume") == Strings{fr});    // typed without its accents
  CHECK(db.search("RÉSUMÉ") == Strings{fr});
  CHECK(db.search("impayee") == Strings{fr});
  CHECK(db.search("toner") == Strings{en});          // a word in a note
  CHECK(db.search("printer toner") == Strings{en});  // each word somewhere in the issue
  CHECK(db.search("printer пароль").empty());
  CHECK(db.search("closed").empty());  // system notes are not searched
  CHECK(db.search("nothing-like-it").empty());
  store::IssueFilter f;
  f.search = "fire";
  f.state = "opened";
  CHECK(db.refs(f) == Strings{en});

  // db check: an issue whose texts left the index is reported.
  CHECK(db.st->check().empty());
  {
    soci::session s(db.conn);
    bool pg = db.pg;
    s << (pg ? "DELETE FROM search_doc WHERE issue_id = (SELECT max(id) FROM issue)"
             : "DELETE FROM search_text WHERE issue_id = (SELECT max(id) FROM issue)");
  }
  CHECK(db.st->check() == Strings{"1 issues missing from the search index"});
}

// Migration 8 indexes what was stored before it; 'db copy' builds the index
// in the target (its form differs between the dialects).
TEST_CASE("store tracker: migration 8 and db copy build the search index") {
  Db db;
  INFO(db.conn);
  auto ref = db.deliver("old@x", "Ancien problème", "Привет, мир");
  db.desk->add_note(ref, {"agent@acme.example", "responder", "kaputtes Gerät", false});
  {
    // Back to version 7: without what migration 8 adds.
    soci::session s(db.conn);
    bool pg = db.pg;
    // 15's triggers (the one on issue_label goes with its table) and 16's
    // tally with its triggers: both migrations run again below.
    if (pg) {
      s << "DROP FUNCTION issue_label_follow() CASCADE";
      s << "DROP FUNCTION issue_label_copy() CASCADE";
      s << "DROP FUNCTION issue_tally_change() CASCADE";
    } else {
      s << "DROP TRIGGER issue_label_follow";
      for (const char* t : {"issue_tally_insert", "issue_tally_update", "issue_tally_delete"})
        s << std::string("DROP TRIGGER ") + t;
    }
    s << "DROP TABLE issue_tally";
    for (const char* q :
         {"DROP INDEX issue_assignee_updated", "DROP INDEX issue_assignee_created",  // 13
          "DROP INDEX issue_assignee", "DROP INDEX issue_created", "DROP INDEX issue_updated",
          "DROP TABLE issue_label", "DROP TABLE label", "ALTER TABLE issue DROP COLUMN assignee",
          "ALTER TABLE project_member DROP COLUMN notify", "UPDATE schema_version SET version = 7"})
      s << q;
    s << (pg ? "DROP TABLE search_doc" : "DROP TABLE search_text");
  }
  db.desk.reset();
  db.st = store::open(db.conn, kWait, 1);
  CHECK(db.st->version() == 7);
  CHECK(db.st->migrate_to(8) == 8);
  {
    // Everything but the tracker was in the current layout all along, up
    // to 15, which adds to issue_label (16's tally was dropped above); 14's
    // indexes on the assignee went with its column: as 14 left them.
    soci::session s(db.conn);
    s << "CREATE INDEX issue_assignee_updated ON issue (assignee, updated_at, state, project_id, "
         "spam)";
    s << "CREATE INDEX issue_assignee_created ON issue (assignee, created_at, state, project_id, "
         "spam)";
    s << "UPDATE schema_version SET version = 14";
  }
  CHECK(db.st->migrate() == store::Store::kSchemaVersion);
  db.open_desk();
  CHECK(db.search("probleme") == Strings{ref});
  CHECK(db.search("мир") == Strings{ref});
  CHECK(db.search("gerat") == Strings{ref});
  CHECK(db.st->check().empty());

  if (db.dir.empty()) return;  // the copy is shown from SQLite to SQLite here
  std::string to = "sqlite3://db=" + (db.dir / "copy.db").string();
  store::copy(db.conn, to, kWait);
  auto copied = store::open(to, kWait, 1);
  desk::Desk other(*copied, nullptr);
  store::IssueFilter f;
  f.search = "gerät";
  CHECK(other.issues(f).size() == 1);
}

// The web queue's keyset pages (IssueFilter::after): issues whose sort keys
// are equal (the same second) follow by id, and the pages, each starting
// after the last one's (key, id), list every issue once, in the listing's
// order. The count ignores the cursor and the limit, and stops at its cap.
TEST_CASE("store tracker: keyset pages across equal keys, capped count") {
  Db db;
  INFO(db.conn);
  Strings refs;
  for (int i = 0; i < 7; ++i) {
    db.now = 1'700'000'000 + (i / 3) * 10;  // three, three and one in the same second
    refs.push_back(db.deliver(std::to_string(i) + "@x", "t" + std::to_string(i), "b"));
  }
  db.now = 1'700'000'100;
  db.desk->assign(refs[1], "agent@acme.example", "agent@acme.example");  // later activity
  auto list = [&](const store::IssueFilter& f) {
    return db.st->read([&](store::Tx& tx) { return tx.issues().list(f); });
  };
  auto count = [&](const store::IssueFilter& f, std::int64_t cap) {
    return db.st->read([&](store::Tx& tx) { return tx.issues().count(f, cap); });
  };
  const auto& r = refs;
  for (auto [sort, want] :
       {std::pair{store::IssueSort::created, Strings{r[6], r[5], r[4], r[3], r[2], r[1], r[0]}},
        std::pair{store::IssueSort::updated, Strings{r[1], r[6], r[5], r[4], r[3], r[2], r[0]}}}) {
    store::IssueFilter f;
    f.sort = sort;
    f.limit = 2;
    Strings paged;
    for (int pages = 0; pages < 10; ++pages) {
      auto rows = list(f);
      for (const auto& s : rows) paged.push_back(s.ref);
      if (rows.size() < 2) break;
      const auto& last = rows.back();
      auto key = sort == store::IssueSort::created ? last.created_at : last.updated_at;
      f.after = std::make_pair(key, last.id);
    }
    CHECK(paged == want);
    CHECK(count(f, 1000) == 7);
    CHECK(count(f, 3) == 3);
    f.state = "closed";
    CHECK(count(f, 1000) == 0);
  }
}
