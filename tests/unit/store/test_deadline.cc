// store::Deadline (deskmail-web's request timeout): a unit of work that runs
// past the thread's deadline is stopped (SQLite: interrupted; PostgreSQL:
// statement_timeout) and throws TimedOut, and the connection serves the next
// unit, a write too; a unit that would wait for a connection past it gives
// up. Against SQLite, and PostgreSQL when DESKMAIL_TEST_PG names one (the
// "store*" cases run in the pg suite).
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "empty_db.h"
#include "store/store.h"

namespace {

struct DeadlineDb : store_test::EmptyDb {
  std::unique_ptr<store::Store> st;
  DeadlineDb() : EmptyDb("deadline") {
    // One connection: the unit after a stopped one runs on the same.
    st = store::open(conn, std::chrono::milliseconds(5000), 1);
    st->init();
    st->add_project("acme/game", "Game", "game", {});
  }
  ~DeadlineDb() { st.reset(); }

  // `n` closed issues by SQL, half of them with "printer" and the other half
  // with "router" in the title, indexed for search as a delivery would.
  void fill(int n) {
    soci::session s(conn);
    std::string nn = std::to_string(n);
    s << "INSERT INTO issue (project_id, iid, title, description, state, author_email, "
         "author_name, message_id, created_at, updated_at) "
         "SELECT (SELECT id FROM project), k, 'filled ' || CASE WHEN k % 2 = 0 THEN 'printer' "
         "ELSE 'router' END, 'text ' || k, 'closed', 'c@example.org', '', 'fill' || k || '@x', "
         "1000000 + k, 1000000 + k FROM (WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 "
         "FROM n WHERE k < " +
             nn + ") SELECT k FROM n) s";
    s << "UPDATE project SET last_iid = " + nn;
    if (pg)
      s << "INSERT INTO search_doc (issue_id, words) SELECT id, to_tsvector('simple', title || ' "
           "' || description) FROM issue";
    else
      s << "INSERT INTO search_text (issue_id, text) SELECT id, title || ' ' || description FROM "
           "issue";
  }
};

// Two words no issue holds together: every issue must be tried.
store::IssueFilter never_together() {
  store::IssueFilter f;
  f.search = "printer router";
  f.limit = 10;
  return f;
}

}  // namespace

TEST_CASE("store deadline: a slow search is stopped and the connection serves the next unit") {
  DeadlineDb db;
  db.fill(100000);
  auto t0 = std::chrono::steady_clock::now();
  {
    store::Deadline d(std::chrono::milliseconds(20));
    CHECK_THROWS_AS(db.st->list_issues(never_together()), store::TimedOut);
  }
  auto stopped_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  MESSAGE("stopped after " << stopped_ms << " ms");
  // The same (only) connection: a read and a write, without a deadline and
  // within a generous one.
  store::IssueFilter f;
  f.search = "printer";
  f.limit = 3;
  {
    store::Deadline d(std::chrono::seconds(60));
    CHECK(db.st->list_issues(f).size() == 3);
    db.st->add_project("acme/web", "Web", "web", {});
  }
  CHECK(db.st->list_projects().size() == 2);
  t0 = std::chrono::steady_clock::now();
  CHECK(db.st->list_issues(never_together()).empty());
  MESSAGE("the same search unbounded: " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - t0)
                                               .count()
                                        << " ms");
}

TEST_CASE("store deadline: passed before the unit starts, and while waiting for a connection") {
  DeadlineDb db;
  {
    store::Deadline d(std::chrono::milliseconds(0));
    CHECK_THROWS_AS(db.st->list_projects(), store::TimedOut);
  }
  // The one connection is held by another thread until this one gave up.
  std::promise<void> holding, done;
  std::thread holder([&] {
    db.st->read([&](store::Tx&) {
      holding.set_value();
      done.get_future().wait();
    });
  });
  holding.get_future().wait();
  {
    store::Deadline d(std::chrono::milliseconds(50));
    CHECK_THROWS_AS(db.st->list_projects(), store::TimedOut);
  }
  done.set_value();
  holder.join();
  CHECK(db.st->list_projects().size() == 1);
}

// The label filter walks the label's rows of issue_label in the listing's
// order (queue_sql.cc, schema 15), a label on every issue as one on few:
// the same pages and counts (test_label_queue.cc compares every filter
// with a plain query).
TEST_CASE("store label filter: a sparse and a dense label page and count alike") {
  DeadlineDb db;
  db.fill(30000);
  {
    soci::session s(db.conn);
    s << "INSERT INTO label (project_id, name, name_key) SELECT id, 'every', 'every' FROM project";
    s << "INSERT INTO label (project_id, name, name_key) SELECT id, 'rare', 'rare' FROM project";
    s << "INSERT INTO issue_label (issue_id, label_id) SELECT i.id, l.id FROM issue i JOIN label l "
         "ON l.name_key = 'every'";
    s << "INSERT INTO issue_label (issue_id, label_id) SELECT i.id, l.id FROM issue i JOIN label l "
         "ON l.name_key = 'rare' WHERE i.iid % 1000 = 7";
  }
  auto iids = [&](const std::string& label,
                  std::optional<std::pair<std::int64_t, std::int64_t>> after) {
    store::IssueFilter f;
    f.labels = {label};
    f.sort = store::IssueSort::updated;
    f.limit = 3;
    f.after = after;
    std::vector<std::int64_t> out;
    for (const auto& s : db.st->list_issues(f)) out.push_back(s.iid);
    return out;
  };
  CHECK(iids("every", std::nullopt) == std::vector<std::int64_t>{30000, 29999, 29998});
  CHECK(iids("every", std::make_pair(1000000 + 29998, std::int64_t{29998})) ==
        std::vector<std::int64_t>{29997, 29996, 29995});
  CHECK(iids("rare", std::nullopt) == std::vector<std::int64_t>{29007, 28007, 27007});
  CHECK(iids("rare", std::make_pair(1000000 + 27007, std::int64_t{27007})) ==
        std::vector<std::int64_t>{26007, 25007, 24007});
  store::IssueFilter f;
  f.labels = {"rare"};
  CHECK(db.st->read([&](store::Tx& tx) { return tx.issues().count(f, 1001); }) == 30);
  f.labels = {"every"};
  CHECK(db.st->read([&](store::Tx& tx) { return tx.issues().count(f, 1001); }) == 1001);
  CHECK(db.st->read([&](store::Tx& tx) { return tx.issues().count(f, 100000); }) == 30000);
}

// deskmail-web on SQLite: several connections, every write on one of them.
// A page's reads go on while a write holds that one (with a single
// connection they waited for it: the handlers took turns), and a second
// write waits for the first in the pool, not in SQLite's busy handler.
TEST_CASE("store sqlite readers: reads pass a running write, writes queue on the writer") {
  std::string tmpl = "/tmp/deskmail-readers-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl.data());
  std::string conn = "sqlite3://db=" + (dir / "t.db").string();
  {
    auto st = store::open(conn, std::chrono::milliseconds(5000), 3, true);
    st->init();
    st->add_project("acme/game", "Game", "game", {});
    std::promise<void> holding, release;
    auto released = release.get_future().share();
    auto writer = std::async(std::launch::async, [&] {
      st->run(store::Work::write, [&](store::Tx&) {
        holding.set_value();
        released.wait();
      });
    });
    holding.get_future().wait();
    auto reader = std::async(std::launch::async, [&] { return st->list_projects().size(); });
    bool passed = reader.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    if (!passed) {  // end the write, so that a failure is one, not a hang
      release.set_value();
      writer.get();
    }
    REQUIRE(passed);
    CHECK(reader.get() == 1);
    auto second =
        std::async(std::launch::async, [&] { st->add_project("acme/web", "Web", "web", {}); });
    CHECK(second.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
    release.set_value();
    writer.get();
    second.get();  // no "database is locked": it waited for the writer
    CHECK(st->list_projects().size() == 2);
  }
  std::filesystem::remove_all(dir);
}
