// The SQLite store: schema, per-project numbers, dedupe, replies, unsubscribe.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "store/store.h"

namespace fs = std::filesystem;

namespace {

struct TempDb {
  fs::path dir;
  std::unique_ptr<store::Store> st;
  TempDb() {
    std::string tmpl = "/tmp/deskmail-unit-" + std::string(6, 'X');  // mkdtemp's template
    dir = mkdtemp(tmpl.data());
    st = store::open("sqlite3://db=" + (dir / "t.db").string(), std::chrono::milliseconds(2000));
  }
  ~TempDb() {
    st.reset();
    fs::remove_all(dir);
  }
};

store::Inbound inbound(const std::string& mid, const std::string& body) {
  store::Inbound in;
  in.dedupe_key = "mid:" + mid;
  in.mail_from = "c@example.org";
  in.author_email = "c@example.org";
  in.contact_email = "c@example.org";
  in.title = "t";
  in.body = body;
  in.message_id = mid;
  in.raw = std::make_shared<const std::string>("Subject: t\r\n\r\n" + body + std::string("\0x", 2));
  in.raw_sha256 = "sha-" + mid;
  return in;
}

}  // namespace

TEST_CASE("store: schema init, version and migrate") {
  TempDb db;
  CHECK(db.st->version() == 0);
  db.st->init();
  CHECK(db.st->version() == store::Store::kSchemaVersion);
  CHECK_THROWS_AS(db.st->init(), store::Error);
  CHECK(db.st->migrate() == store::Store::kSchemaVersion);
}

TEST_CASE("store: issues, numbers, dedupe, notes, attachments, unsubscribe") {
  TempDb db;
  db.st->init();
  db.st->add_project("acme/game", "Game", "acme-game", {"help@acme.example"});
  db.st->add_project("acme/web", "Web", "acme-web", {});
  CHECK_THROWS_AS(db.st->add_project("acme/game", "x", "other", {}), store::Error);
  CHECK_THROWS_AS(db.st->add_project("x/y", "x", "z", {"help@acme.example"}), store::Error);

  auto game = db.st->find_project_key("acme-game");
  auto web = db.st->find_project_key("acme-web");
  REQUIRE(game);
  REQUIRE(web);
  CHECK_FALSE(db.st->find_project_key("nope"));
  auto alias = db.st->find_alias("help@acme.example");
  REQUIRE(alias);
  CHECK(alias->project_id == game->project_id);

  auto in1 = inbound("m1@x", "first");
  store::AttachmentIn att{"../a.bin", "a.bin", "application/octet-stream", "h",
                          std::string("\0\1\2", 3)};
  in1.attachments.push_back(att);
  auto o1 = db.st->deliver(*game, in1, nullptr);
  CHECK(o1.kind == store::Outcome::Kind::created);
  CHECK(o1.ref == "acme/game#1");
  CHECK(db.st->deliver(*game, inbound("m2@x", "second"), nullptr).ref == "acme/game#2");
  CHECK(db.st->deliver(*web, inbound("m3@x", "third"), nullptr).ref == "acme/web#1");
  // The same message again: nothing new.
  auto dup = db.st->deliver(*game, in1, nullptr);
  CHECK(dup.kind == store::Outcome::Kind::duplicate);
  CHECK(dup.ref == "acme/game#1");
  // The same Message-ID to another project is a different delivery.
  CHECK(db.st->deliver(*web, in1, nullptr).ref == "acme/web#2");

  auto d = db.st->show_issue("acme/game#1");
  REQUIRE(d);
  CHECK(d->description == "first");
  REQUIRE(d->attachments.size() == 1);
  CHECK(d->attachments[0].size == 3);
  REQUIRE(d->participants.size() == 1);
  std::string key = d->participants[0].reply_key;
  CHECK(key.size() == 32);

  auto reply = db.st->find_reply_key(key, false);
  REQUIRE(reply);
  CHECK(reply->issue_ref == "acme/game#1");
  auto n = db.st->deliver(*reply, inbound("r1@x", "a reply"), nullptr);
  CHECK(n.kind == store::Outcome::Kind::noted);
  CHECK(db.st->deliver(*reply, inbound("r1@x", "a reply"), nullptr).kind ==
        store::Outcome::Kind::duplicate);
  d = db.st->show_issue("acme/game#1");
  REQUIRE(d->notes.size() == 1);
  CHECK(d->notes[0].body == "a reply");
  CHECK(d->notes[0].author_kind == "customer");

  auto unsub = db.st->find_reply_key(key, true);
  REQUIRE(unsub);
  CHECK(db.st->deliver(*unsub, inbound("u1@x", ""), nullptr).kind ==
        store::Outcome::Kind::unsubscribed);
  CHECK_FALSE(db.st->show_issue("acme/game#1")->participants[0].subscribed);
  CHECK_FALSE(db.st->find_reply_key(std::string(32, '0'), false));

  store::IssueFilter all;
  CHECK(db.st->list_issues(all).size() == 4);
  store::IssueFilter one;
  one.project = "acme/web";
  CHECK(db.st->list_issues(one).size() == 2);
  one.limit = 1;
  CHECK(db.st->list_issues(one).size() == 1);
  CHECK_FALSE(db.st->show_issue("acme/game#99"));
  CHECK_THROWS_AS(db.st->show_issue("nohash"), store::Error);
}

TEST_CASE("store::parse_ref and random_key") {
  CHECK(store::parse_ref("a/b#3") == std::make_pair(std::string("a/b"), std::int64_t{3}));
  CHECK_FALSE(store::parse_ref("a/b#0"));
  CHECK_FALSE(store::parse_ref("a/b#x"));
  CHECK_FALSE(store::parse_ref("#3"));
  CHECK(store::random_key() != store::random_key());
}
