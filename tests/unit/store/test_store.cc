// The store conformance suite: every case runs against SQLite, and against
// PostgreSQL when DESKMAIL_TEST_PG names a database (contrib/dev/test starts
// a real server for it). Schema, per-project numbers, dedupe, replies,
// unsubscribe, concurrency across connections, outbox claims, text repair
// and 'db copy'.
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "common/run_on.h"
#include "delivery/group_commit.h"
#include "desk/desk.h"
#include "empty_db.h"
#include "store/dialect.h"
#include "store/store.h"

namespace fs = std::filesystem;

namespace {

const std::chrono::milliseconds kWait(5000);

struct TempDb : store_test::EmptyDb {
  std::unique_ptr<store::Store> st;
  explicit TempDb(bool sqlite_only = false) : EmptyDb("unit", sqlite_only) {
    st = store::open(conn, kWait, 4);
  }
  bool postgresql() const { return pg; }
  ~TempDb() { st.reset(); }
};

// Writes one small mail per call, with its own Message-ID.
struct TestComposer : store::Composer {
  int n = 0;
  store::OutMail compose(const store::MailContext& ctx) override {
    ++n;
    return {"Re: " + ctx.issue_title, "out" + std::to_string(n) + "@desk.test", "desk@desk.test",
            "Subject: x\r\n\r\n" + std::string("\0\xff", 2) + ctx.to_email + "\r\n"};
  }
};

// The desk's rules over the store under test (they moved out of the store).
store::Outcome deliver(store::Store& st, const store::Target& t, const store::Inbound& in,
                       store::Composer* composer) {
  return desk::Desk(st, composer).deliver(t, in);
}
int add_note(store::Store& st, const std::string& ref, const store::NoteIn& note,
             store::Composer* composer) {
  return desk::Desk(st, composer).add_note(ref, note);
}
int set_state(store::Store& st, const std::string& ref, const std::string& state,
              store::Composer* composer) {
  return desk::Desk(st, composer).set_state(ref, state);
}

store::Inbound inbound(const std::string& mid, const std::string& body) {
  store::Inbound in;
  in.dedupe_key = "mid:" + mid;
  in.mail_from = "c@example.org";
  in.author_email = "c@example.org";
  in.contact_email = "c@example.org";
  in.title = "t";
  in.body = body;
  in.message_id = mid;
  in.raw = common::bytes_of("Subject: t\r\n\r\n" + body + std::string("\0x", 2));
  in.raw_sha256 = "sha-" + mid;
  return in;
}

}  // namespace

TEST_CASE("store: schema init, version and migrate") {
  TempDb db;
  INFO(db.conn);
  CHECK(db.st->version() == 0);
  db.st->init();
  CHECK(db.st->version() == store::Store::kSchemaVersion);
  CHECK_THROWS_AS(db.st->init(), store::Error);
  CHECK(db.st->migrate() == store::Store::kSchemaVersion);
}

// Lookups run statements prepared once per connection. A kept SQLite
// statement that is not reset holds its read snapshot: another process's new
// project, alias or reply key would stay invisible to the daemon.
TEST_CASE("store: kept statements see what other connections wrote since") {
  TempDb db;
  db.st->init();
  auto daemon = store::open(db.conn, kWait);  // a second connection, like deskmaild's
  db.st->add_project("acme/a", "A", "key-a", {"a@acme.example"});
  auto a = daemon->find_project_key("key-a");
  REQUIRE(a);
  CHECK(daemon->find_alias("a@acme.example"));
  CHECK_FALSE(daemon->find_project_key("key-b"));
  // Written by another connection ('deskmail project add') after the lookups.
  db.st->add_project("acme/b", "B", "key-b", {"b@acme.example"});
  CHECK(daemon->find_project_key("key-b"));
  CHECK(daemon->find_alias("b@acme.example"));
  auto o = deliver(*db.st, *a, inbound("first@x", "body"), nullptr);
  REQUIRE(o.kind == store::Outcome::Kind::created);
  // Seen by the daemon's connection, which then delivers the same message.
  CHECK(deliver(*daemon, *a, inbound("first@x", "body"), nullptr).kind ==
        store::Outcome::Kind::duplicate);
  {
    soci::session other(db.conn);  // 'enabled' has no command yet: plain SQL
    other << "UPDATE project SET enabled = 0 WHERE path = 'acme/b'";
  }
  CHECK_FALSE(daemon->find_project_key("key-b"));
  // A failed statement leaves the kept ones usable.
  CHECK_THROWS(daemon->add_project("acme/a", "A", "key-a", {}));
  CHECK(daemon->find_project_key("key-a"));
  CHECK(deliver(*daemon, *a, inbound("second@x", "body"), nullptr).kind ==
        store::Outcome::Kind::created);
}

// SQLite writes a large raw message or attachment into a zeroblob in pieces
// (no copy of it in the row record); the bytes must come back the same.
TEST_CASE("store: large raw messages and attachments are stored byte for byte") {
  TempDb db;
  db.st->init();
  db.st->add_project("acme/a", "A", "key-a", {});
  auto a = db.st->find_project_key("key-a");
  REQUIRE(a);
  std::string big, blob;
  for (long long i = 0; i < 700000; ++i) big += static_cast<char>((i * 7919) % 256);  // NUL, 0xff
  for (long long i = 0; i < 300001; ++i) blob += static_cast<char>((i * 31) % 256);
  auto in = inbound("big@x", "body");
  in.raw = common::bytes_of(big);
  in.attachments.push_back({"a.bin", "a.bin", "application/octet-stream", "sha-a", blob, nullptr});
  in.attachments.push_back({"b.txt", "b.txt", "text/plain", "sha-b", "small", nullptr});
  REQUIRE(deliver(*db.st, *a, in, nullptr).kind == store::Outcome::Kind::created);
  // The same raw message again, for another issue: stored once.
  auto again = inbound("big2@x", "body");
  again.raw = in.raw;
  again.raw_sha256 = in.raw_sha256;
  REQUIRE(deliver(*db.st, *a, again, nullptr).kind == store::Outcome::Kind::created);
  soci::session s(db.conn);
  int raws = 0;
  s << "SELECT count(*) FROM raw_message", soci::into(raws);
  CHECK(raws == 1);
  std::string hex;
  s << (db.postgresql() ? "SELECT encode(content, 'hex') FROM raw_message"
                        : "SELECT hex(content) FROM raw_message"),
      soci::into(hex);
  CHECK(hex.size() == big.size() * 2);
  CHECK(store::from_hex(hex) == big);
  s << (db.postgresql() ? "SELECT encode(c.content, 'hex') FROM attachment a JOIN "
                          "attachment_content c ON c.sha256 = a.sha256 WHERE a.filename = 'a.bin'"
                        : "SELECT hex(c.content) FROM attachment a JOIN attachment_content c ON "
                          "c.sha256 = a.sha256 WHERE a.filename = 'a.bin'"),
      soci::into(hex);
  CHECK(store::from_hex(hex) == blob);
  long long size = 0;
  s << "SELECT size FROM attachment WHERE filename = 'a.bin'", soci::into(size);
  CHECK(size == 300001);
  CHECK(db.st->check().empty());
}

// Back to the version 6 layout on SQLite: each attachment row with its own
// bytes, no attachment_content.
void undo_7(soci::session& s) {
  s << "CREATE TABLE a6 (id INTEGER PRIMARY KEY, issue_id BIGINT NOT NULL REFERENCES issue(id), "
       "note_id BIGINT REFERENCES note(id), filename_sent TEXT NOT NULL, filename TEXT NOT NULL, "
       "content_type TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL, content BLOB NOT "
       "NULL)";
  s << "INSERT INTO a6 SELECT a.id, a.issue_id, a.note_id, a.filename_sent, a.filename, "
       "a.content_type, a.size, a.sha256, c.content FROM attachment a JOIN attachment_content c "
       "ON c.sha256 = a.sha256";
  s << "DROP TABLE attachment";
  s << "DROP TABLE attachment_content";
  s << "ALTER TABLE a6 RENAME TO attachment";
  s << "CREATE INDEX attachment_issue ON attachment (issue_id)";
}

// Migration 007 stores each attachment's bytes once: a version 6 database
// whose issues hold the same file twice comes through with one copy, every
// attachment row and id kept, and the bytes the same.
TEST_CASE("store: migration 7 keeps one copy of each attachment's bytes") {
  TempDb db(true);
  db.st->init();
  db.st->add_project("acme/a", "A", "key-a", {});
  auto a = db.st->find_project_key("key-a");
  std::string same(300001, 'x'), other = "small file";
  for (int i = 0; i < 3; ++i) {
    auto in = inbound("m" + std::to_string(i) + "@x", "body");
    in.attachments.push_back({"s.bin", "s.bin", "application/octet-stream", "sha-same", same, {}});
    if (i == 2) in.attachments.push_back({"o.txt", "o.txt", "text/plain", "sha-other", other, {}});
    REQUIRE(deliver(*db.st, *a, in, nullptr).kind == store::Outcome::Kind::created);
  }
  {
    soci::session s(db.conn);
    s << "PRAGMA foreign_keys = OFF";
    s << "BEGIN";
    undo_7(s);
    s << "UPDATE schema_version SET version = 6";
    s << "COMMIT";
    long long rows = 0;
    s << "SELECT count(*) FROM attachment WHERE length(content) = 300001", soci::into(rows);
    REQUIRE(rows == 3);
  }
  db.st.reset();
  db.st = store::open(db.conn, kWait, 1);
  CHECK(db.st->version() == 6);
  CHECK(db.st->migrate_to(7) == 7);
  soci::session s(db.conn);
  // Everything but the attachments was in the current layout all along.
  s << "UPDATE schema_version SET version = " << store::Store::kSchemaVersion;
  long long rows = 0, contents = 0, total = 0;
  s << "SELECT count(*) FROM attachment", soci::into(rows);
  s << "SELECT count(*), sum(length(content)) FROM attachment_content", soci::into(contents),
      soci::into(total);
  CHECK(rows == 4);
  CHECK(contents == 2);
  CHECK(total == static_cast<long long>(same.size() + other.size()));
  std::string hex;
  s << "SELECT hex(c.content) FROM attachment a JOIN attachment_content c ON c.sha256 = a.sha256 "
       "WHERE a.filename = 'o.txt'",
      soci::into(hex);
  CHECK(store::from_hex(hex) == other);
  CHECK(db.st->check().empty());
}

// Migration 005 rebuilds SQLite's raw_message with its content last. A
// database in the version 4 layout, with issues pointing at raw messages,
// comes through with every byte and every reference.
TEST_CASE("store: migration 5 rebuilds raw_message with the same ids and bytes") {
  TempDb db(true);
  db.st->init();
  db.st->add_project("acme/a", "A", "key-a", {});
  auto a = db.st->find_project_key("key-a");
  std::vector<std::string> raws;
  for (int i = 0; i < 5; ++i) {
    auto in = inbound("m" + std::to_string(i) + "@x", "body " + std::to_string(i));
    raws.push_back(in.raw->copy());
    REQUIRE(deliver(*db.st, *a, in, nullptr).kind == store::Outcome::Kind::created);
  }
  {
    // Back to the version 4 layout: content before received_at.
    soci::session s(db.conn);
    s << "PRAGMA foreign_keys = OFF";
    s << "BEGIN";
    s << "CREATE TABLE r4 (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, mail_from TEXT "
         "NOT NULL, size BIGINT NOT NULL, content BLOB NOT NULL, received_at BIGINT NOT NULL)";
    s << "INSERT INTO r4 SELECT id, sha256, mail_from, size, content, received_at FROM "
         "raw_message";
    s << "DROP TABLE raw_message";
    s << "ALTER TABLE r4 RENAME TO raw_message";
    s << "UPDATE schema_version SET version = 4";
    s << "COMMIT";
  }
  db.st.reset();
  db.st = store::open(db.conn, kWait, 1);
  CHECK(db.st->version() == 4);
  CHECK(db.st->migrate_to(5) == 5);
  soci::session s(db.conn);
  // Everything but raw_message was in the current layout all along.
  s << "UPDATE schema_version SET version = " << store::Store::kSchemaVersion;
  std::string last;
  s << "SELECT name FROM pragma_table_info('raw_message') ORDER BY cid DESC LIMIT 1",
      soci::into(last);
  CHECK(last == "content");
  for (int i = 0; i < 5; ++i) {
    std::string hex;
    std::string mid = "m" + std::to_string(i) + "@x";
    s << "SELECT hex(r.content) FROM issue i JOIN raw_message r ON r.id = i.raw_message_id "
         "WHERE i.message_id = :m",
        soci::use(mid), soci::into(hex);
    CHECK(store::from_hex(hex) == raws[i]);
  }
  int fk = 0;
  s << "SELECT count(*) FROM pragma_foreign_key_check", soci::into(fk);
  CHECK(fk == 0);
  CHECK(db.st->check().empty());
  // And the store goes on delivering, large raw messages included.
  auto big = inbound("big@x", "b");
  big.raw = common::bytes_of(std::string(400000, 'z'));
  CHECK(deliver(*db.st, *a, big, nullptr).kind == store::Outcome::Kind::created);
  CHECK(db.st->check().empty());
}

// Group commit and the write-ahead log are SQLite's: the store hands them
// out only there, and they work on it.
TEST_CASE("store: sqlite() is SQLite's control, null on PostgreSQL") {
  TempDb db;
  db.st->init();
  if (db.postgresql()) {
    CHECK(db.st->sqlite() == nullptr);
    return;
  }
  REQUIRE(db.st->sqlite() != nullptr);
  db.st->add_project("acme/a", "A", "key-a", {});
  auto a = db.st->find_project_key("key-a");
  store::sqlite::Control& c = *db.st->sqlite();
  c.begin_batch();
  CHECK(deliver(*db.st, *a, inbound("b1@x", "b"), nullptr).kind == store::Outcome::Kind::created);
  c.rollback_batch();
  CHECK(db.st->list_issues({}).empty());  // rolled back with the batch
  c.begin_batch();
  CHECK(deliver(*db.st, *a, inbound("b2@x", "b"), nullptr).kind == store::Outcome::Kind::created);
  c.commit_batch();
  CHECK(db.st->list_issues({}).size() == 1);
  CHECK_THROWS_AS(c.commit_batch(), store::Error);  // no batch open
  store::sqlite::WalFrames f = c.checkpoint();
  CHECK(f.done == f.log);
}

// deskmaild leaves SQLite's checkpoints to a thread of its own: the writer's
// COMMITs never copy the log back, the other connection's checkpoint() does,
// and then the log is reused from its start instead of growing.
TEST_CASE("store: manual checkpoints: the writer lets the log grow, checkpoint() empties it") {
  TempDb db(true);
  db.st->init();
  db.st->add_project("acme/a", "A", "key-a", {});
  db.st->sqlite()->manual_checkpoints();
  auto a = db.st->find_project_key("key-a");
  std::string wal = (db.dir / "t.db-wal").string();
  auto deliver_some = [&](int from, int n) {
    for (int i = from; i < from + n; ++i)
      REQUIRE(deliver(*db.st, *a, inbound("w" + std::to_string(i) + "@x", std::string(3000, 'b')),
                      nullptr)
                  .kind == store::Outcome::Kind::created);
  };
  deliver_some(0, 400);
  auto grown = fs::file_size(wal);
  CHECK(grown > 1000 * 4096);  // past SQLite's automatic checkpoint at 1 000 pages
  auto other = store::open(db.conn, kWait, 1);
  store::sqlite::WalFrames f = other->sqlite()->checkpoint();
  CHECK(f.log * (4096 + 24) + 32 == static_cast<long long>(grown));  // every frame of the log
  CHECK(f.done == f.log);                                            // all in the database now
  deliver_some(400, 200);
  CHECK(fs::file_size(wal) <= grown);  // written from its start again
  CHECK(db.st->list_issues({}).size() == 600);
  CHECK(db.st->check().empty());
}

namespace {
long long write_calls() {  // write(2)-family system calls of this process so far
  std::ifstream io("/proc/self/io");
  std::string key;
  long long v = 0;
  while (io >> key >> v)
    if (key == "syscw:") return v;
  return -1;
}
}  // namespace

// SQLite writes a WAL frame as two pwrite(2) calls (header, page); the
// store's VFS gathers the frames of a COMMIT into runs of up to 96 KiB.
// A 200 KB message is about fifty pages: a hundred calls without it.
TEST_CASE("store: the WAL is written in runs, and reads back everywhere") {
  TempDb db(true);
  db.st->init();
  db.st->add_project("acme/a", "A", "key-a", {});
  db.st->sqlite()->manual_checkpoints();  // no checkpoint's writes inside the count
  auto a = db.st->find_project_key("key-a");
  std::string big;
  for (long long i = 0; i < 200000; ++i) big += static_cast<char>((i * 7919) % 251);
  auto in = inbound("runs@x", "body");
  in.raw = common::bytes_of(big);
  long long before = write_calls();
  REQUIRE(before >= 0);
  REQUIRE(deliver(*db.st, *a, in, nullptr).kind == store::Outcome::Kind::created);
  long long calls = write_calls() - before;
  MESSAGE("write calls for one 200 KB delivery: " << calls);
  CHECK(calls < 20);
  // Another connection sees all of it, also after a checkpoint, and so does
  // a fresh open after every connection is closed.
  auto other = store::open(db.conn, kWait, 1);
  CHECK(other->list_issues({}).size() == 1);
  other->sqlite()->checkpoint();
  other.reset();
  db.st.reset();
  soci::session s(db.conn);
  std::string hex, integrity;
  s << "SELECT hex(content) FROM raw_message", soci::into(hex);
  CHECK(store::from_hex(hex) == big);
  s << "PRAGMA integrity_check", soci::into(integrity);
  CHECK(integrity == "ok");
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
  store::AttachmentIn att{
      "../a.bin", "a.bin", "application/octet-stream", "h", std::string("\0\1\2", 3), nullptr};
  in1.attachments.push_back(att);
  auto o1 = deliver(*db.st, *game, in1, nullptr);
  CHECK(o1.kind == store::Outcome::Kind::created);
  CHECK(o1.ref == "acme/game#1");
  CHECK(deliver(*db.st, *game, inbound("m2@x", "second"), nullptr).ref == "acme/game#2");
  CHECK(deliver(*db.st, *web, inbound("m3@x", "third"), nullptr).ref == "acme/web#1");
  // The same message again: nothing new.
  auto dup = deliver(*db.st, *game, in1, nullptr);
  CHECK(dup.kind == store::Outcome::Kind::duplicate);
  CHECK(dup.ref == "acme/game#1");
  // The same Message-ID to another project is a different delivery.
  CHECK(deliver(*db.st, *web, in1, nullptr).ref == "acme/web#2");

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
  auto n = deliver(*db.st, *reply, inbound("r1@x", "a reply"), nullptr);
  CHECK(n.kind == store::Outcome::Kind::noted);
  CHECK(deliver(*db.st, *reply, inbound("r1@x", "a reply"), nullptr).kind ==
        store::Outcome::Kind::duplicate);
  d = db.st->show_issue("acme/game#1");
  REQUIRE(d->notes.size() == 1);
  CHECK(d->notes[0].body == "a reply");
  CHECK(d->notes[0].author_kind == "customer");

  auto unsub = db.st->find_reply_key(key, true);
  REQUIRE(unsub);
  CHECK(deliver(*db.st, *unsub, inbound("u1@x", ""), nullptr).kind ==
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

TEST_CASE(
    "store: concurrent deliveries from several connections: each number once, each message once") {
  TempDb db;
  db.st->init();
  db.st->add_project("acme/game", "Game", "acme-game", {});
  // Four connections (as four threads of one daemon, or four daemons) each
  // deliver the same 40 messages, in different orders.
  const int kMessages = 40, kWriters = 4;
  std::vector<std::vector<store::Outcome>> results(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto st = store::open(db.conn, kWait);
      auto t = st->find_project_key("acme-game");
      for (int i = 0; i < kMessages; ++i) {
        int k = (i * (w + 1) * 7 + w) % kMessages;
        for (int attempt = 0;; ++attempt) {
          try {
            results[w].push_back(
                deliver(*st, *t, inbound("c" + std::to_string(k) + "@x", "b"), nullptr));
            break;
          } catch (const store::Unavailable&) {
            if (attempt > 20) throw;  // the MTA would retry too
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> created;
  int duplicates = 0;
  for (const auto& r : results)
    for (const auto& o : r) {
      if (o.kind == store::Outcome::Kind::created) CHECK(created.insert(o.ref).second);
      if (o.kind == store::Outcome::Kind::duplicate) ++duplicates;
    }
  CHECK(created.size() == kMessages);
  CHECK(duplicates == kMessages * (kWriters - 1));
  auto issues = db.st->list_issues({});
  REQUIRE(issues.size() == kMessages);
  std::vector<std::int64_t> iids;
  for (const auto& i : issues) iids.push_back(i.iid);
  std::sort(iids.begin(), iids.end());
  for (int i = 0; i < kMessages; ++i) CHECK(iids[i] == i + 1);
}

TEST_CASE("store: outbox claims are exclusive, leased, and released by their owner") {
  TempDb db;
  db.st->init();
  db.st->add_project("acme/game", "Game", "acme-game", {});
  auto t = db.st->find_project_key("acme-game");
  TestComposer composer;
  for (int i = 0; i < 30; ++i) {
    auto in = inbound("o" + std::to_string(i) + "@x", "b");
    in.mail_from = in.contact_email = in.author_email = "c" + std::to_string(i) + "@example.org";
    CHECK(deliver(*db.st, *t, in, &composer).mails == 1);
  }
  long long lease = std::time(nullptr) + 600;
  std::vector<std::int64_t> got[2];
  std::thread a([&] {
    auto st = store::open(db.conn, kWait);
    for (;;) {
      auto c = st->claim_outbox(2, lease, "host-a");
      if (c.empty()) break;
      for (auto& i : c) {
        CHECK(i.content.find(std::string("\0\xff", 2)) != std::string::npos);
        got[0].push_back(i.id);
      }
    }
  });
  std::thread b([&] {
    auto st = store::open(db.conn, kWait);
    for (;;) {
      auto c = st->claim_outbox(3, lease, "host-b");
      if (c.empty()) break;
      for (auto& i : c) got[1].push_back(i.id);
    }
  });
  a.join();
  b.join();
  std::set<std::int64_t> all(got[0].begin(), got[0].end());
  for (auto id : got[1]) CHECK(all.insert(id).second);  // no mail claimed twice
  CHECK(all.size() == 30);
  // Leased: nobody gets them now; released: the owner's are due again.
  CHECK(db.st->claim_outbox(50, lease, "host-c").empty());
  int o = got[0].empty() ? 1 : 0;  // one thread may have been quicker at all of them
  const char* owner = o == 0 ? "host-a" : "host-b";
  CHECK(db.st->release_claims(owner) == static_cast<int>(got[o].size()));
  auto again = db.st->claim_outbox(50, lease, "host-c");
  REQUIRE(again.size() == got[o].size());
  REQUIRE_FALSE(again.empty());
  db.st->outbox_sent(again.front().id);
  CHECK(db.st->release_claims("host-c") == static_cast<int>(got[o].size()) - 1);
}

TEST_CASE("store: text that is not UTF-8 is repaired, bytes are kept") {
  TempDb db;
  db.st->init();
  db.st->add_project("acme/game", "Game", "acme-game", {});
  auto t = db.st->find_project_key("acme-game");
  auto in = inbound("u@x", std::string("body\0with NUL", 13));
  in.author_name = "Bj\xf6rn";
  in.title = "caf\xe9 \xff";
  in.mail_from = "b\xf6@example.org";
  in.raw = common::bytes_of(std::string("Subject: caf\xe9\r\n\r\n\0\xff", 20));
  CHECK(deliver(*db.st, *t, in, nullptr).kind == store::Outcome::Kind::created);
  auto d = db.st->show_issue("acme/game#1");
  REQUIRE(d);
  CHECK(d->summary.title == "caf\xEF\xBF\xBD \xEF\xBF\xBD");
  CHECK(d->description == "bodywith NUL");
  CHECK(store::clean_text("ok \xc3\xa9 \xed\xa0\x80") ==
        "ok \xc3\xa9 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("store: db copy keeps issues, notes, attachments, participants, keys and pending mail") {
  TempDb target;  // PostgreSQL when configured
  TempDb source(true);
  source.st->init();
  source.st->add_project("acme/game", "Game", "acme-game", {"help@acme.example"});
  source.st->add_member("acme/game", "agent@acme.example");
  source.st->set_template("acme/game", store::MailKind::thank_you, "Got it",
                          "We have {{ISSUE_ID}}");
  auto t = source.st->find_project_key("acme-game");
  TestComposer composer;
  for (int i = 0; i < 3; ++i) {
    auto in = inbound("s" + std::to_string(i) + "@x", "issue " + std::to_string(i));
    in.attachments.push_back({"a.bin", "a.bin", "application/octet-stream", "h",
                              std::string("\0\1\xff", 3) + std::to_string(i), nullptr});
    deliver(*source.st, *t, in, &composer);
  }
  auto d0 = source.st->show_issue("acme/game#1");
  auto reply = source.st->find_reply_key(d0->participants[0].reply_key, false);
  deliver(*source.st, *reply, inbound("r@x", "customer reply"), &composer);
  add_note(*source.st, "acme/game#1", {"agent@acme.example", "responder", "public answer", false},
           &composer);
  add_note(*source.st, "acme/game#1", {"agent@acme.example", "responder", "internal", true},
           &composer);
  set_state(*source.st, "acme/game#2", "closed", &composer);
  auto d2 = source.st->show_issue("acme/game#2");
  deliver(*source.st, *source.st->find_reply_key(d2->participants[0].reply_key, true),
          inbound("u@x", ""), nullptr);
  auto before_out = source.st->list_outbox(std::nullopt);
  REQUIRE(before_out.size() >= 5);
  source.st->outbox_sent(before_out[0].id);
  before_out = source.st->list_outbox(std::nullopt);

  auto counts = store::copy(source.conn, target.conn, kWait);
  CHECK(counts.size() == 19);
  CHECK_THROWS_AS(store::copy(source.conn, target.conn, kWait), store::Error);  // not empty

  for (const char* ref : {"acme/game#1", "acme/game#2", "acme/game#3"}) {
    auto a = source.st->show_issue(ref), b = target.st->show_issue(ref);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->summary.title == b->summary.title);
    CHECK(a->summary.state == b->summary.state);
    CHECK(a->description == b->description);
    REQUIRE(a->notes.size() == b->notes.size());
    for (std::size_t i = 0; i < a->notes.size(); ++i) {
      CHECK(a->notes[i].body == b->notes[i].body);
      CHECK(a->notes[i].internal == b->notes[i].internal);
    }
    REQUIRE(a->attachments.size() == b->attachments.size());
    CHECK(a->attachments[0].size == b->attachments[0].size);
    REQUIRE(a->participants.size() == b->participants.size());
    for (std::size_t i = 0; i < a->participants.size(); ++i) {
      CHECK(a->participants[i].reply_key == b->participants[i].reply_key);
      CHECK(a->participants[i].subscribed == b->participants[i].subscribed);
    }
  }
  auto after_out = target.st->list_outbox(std::nullopt);
  REQUIRE(after_out.size() == before_out.size());
  for (std::size_t i = 0; i < after_out.size(); ++i) {
    CHECK(after_out[i].message_id == before_out[i].message_id);
    CHECK(after_out[i].state == before_out[i].state);
  }
  // Pending mail is sendable from the new store, bytes intact.
  auto claimed = target.st->claim_outbox(100, std::time(nullptr) + 60, "new-host");
  CHECK(claimed.size() == before_out.size() - 1);
  CHECK(claimed[0].content.find(std::string("\0\xff", 2)) != std::string::npos);
  // The keys and numbers go on where they were.
  CHECK(target.st->find_reply_key(d0->participants[0].reply_key, false));
  auto p = target.st->find_project(("acme/game"));
  REQUIRE(p);
  CHECK(p->members == std::vector<std::string>{"agent@acme.example"});
  CHECK(p->aliases == std::vector<std::string>{"help@acme.example"});
  auto nt = target.st->find_project_key("acme-game");
  CHECK(deliver(*target.st, *nt, inbound("new@x", "after the move"), &composer).ref ==
        "acme/game#4");
  CHECK(add_note(*target.st, "acme/game#4", {"agent@acme.example", "responder", "n", false},
                 &composer) == 1);
}

namespace {

struct GroupResult {
  std::optional<store::Outcome> outcome;
  bool threw = false;
};

boost::asio::awaitable<void> deliver_grouped(delivery::GroupCommit& gc, store::Store& st, int i,
                                             GroupResult& r) {
  std::function<store::Outcome()> fn = [&st, i] {
    auto t = st.find_project_key("acme-game");
    if (i == 7) throw store::Unavailable("the store failed for this one");
    return deliver(st, *t, inbound("g" + std::to_string(i) + "@x", "b"), nullptr);
  };
  try {
    // As the deliverer awaits it: the work queued for the next batch, the
    // coroutine resumed after that batch's COMMIT.
    auto submit = [&gc](std::function<void()> work, std::function<void(std::exception_ptr)> done) {
      gc.submit(std::move(work), std::move(done));
    };
    r.outcome = co_await common::run_deferred<store::Outcome>(std::move(submit), std::move(fn),
                                                              std::chrono::seconds(30));
  } catch (const store::Unavailable&) {
    r.threw = true;
  }
}

}  // namespace

TEST_CASE("group commit: concurrent deliveries share COMMITs; a failing one fails alone") {
  TempDb db(true);  // SQLite's single writer
  db.st->init();
  db.st->add_project("acme/game", "Game", "acme-game", {});
  delivery::GroupCommit gc(*db.st->sqlite());
  boost::asio::io_context io;
  std::vector<GroupResult> results(20);
  for (int i = 0; i < 20; ++i)
    boost::asio::co_spawn(io, deliver_grouped(gc, *db.st, i, results[i]), boost::asio::detached);
  io.run();
  int created = 0;
  for (int i = 0; i < 20; ++i) {
    INFO(i);
    CHECK(results[i].threw == (i == 7));
    if (results[i].outcome && results[i].outcome->kind == store::Outcome::Kind::created) ++created;
  }
  CHECK(created == 19);
  CHECK(db.st->list_issues({}).size() == 19);
  auto s = gc.stats();
  CHECK(s.jobs == 20);
  CHECK(s.batches <= 20);
  CHECK(db.st->check().empty());
}

// The deliverer parses a small message on the writer itself when idle()
// says no batch runs and none is queued; between_batches runs before each.
TEST_CASE("group commit: idle() while nothing runs or waits; between_batches before each batch") {
  TempDb db(true);
  db.st->init();
  std::atomic<int> hooks{0};
  delivery::GroupCommit gc(*db.st->sqlite(), 256, [&] { ++hooks; });
  std::mutex m;
  std::condition_variable cv;
  bool release = false, started = false, done = false;
  CHECK(gc.idle());
  gc.submit(
      [&] {
        std::unique_lock lk(m);
        started = true;
        cv.notify_all();
        cv.wait(lk, [&] { return release; });
      },
      [&](std::exception_ptr) {
        std::lock_guard lk(m);
        done = true;
        cv.notify_all();
      });
  CHECK_FALSE(gc.idle());  // queued
  {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return started; });
  }
  CHECK_FALSE(gc.idle());  // running
  {
    std::lock_guard lk(m);
    release = true;
  }
  cv.notify_all();
  {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return done; });
  }
  for (int i = 0; i < 200 && !gc.idle(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(gc.idle());
  CHECK(hooks == 1);
}
