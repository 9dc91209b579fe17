// issue_tally (schema 16): the issues of each project counted by state and
// spam flag by triggers, so that the web queue's count of a filter by
// project and state is a sum of a few rows. Checked against count(*) over
// the issues after every kind of change, after the migration over issues
// that were there before, and by 'db check'. Against SQLite, and PostgreSQL
// when DESKMAIL_TEST_PG names one (the "store*" cases run in the pg suite).
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "empty_db.h"
#include "store/store.h"

namespace {

struct TallyDb : store_test::EmptyDb {
  TallyDb() : EmptyDb("tally") {}

  // `n` issues of `project` by SQL: every third closed, every fifth spam.
  void fill(const std::string& project, int n, int from) {
    soci::session s(conn);
    std::string to = std::to_string(from + n - 1), f = std::to_string(from);
    s << "INSERT INTO issue (project_id, iid, title, description, state, spam, author_email, "
         "author_name, message_id, created_at, updated_at) "
         "SELECT (SELECT id FROM project WHERE path = '" +
             project +
             "'), k, 't', 'd', CASE WHEN k % 3 = 0 THEN 'closed' ELSE 'opened' END, "
             "CASE WHEN k % 5 = 0 THEN 1 ELSE 0 END, 'c@example.org', '', '" +
             project +
             "-' || k || '@x', 1000 + k, 1000 + k FROM (WITH RECURSIVE n(k) AS "
             "(SELECT " +
             f + " UNION ALL SELECT k + 1 FROM n WHERE k < " + to + ") SELECT k FROM n) s";
    s << "UPDATE project SET last_iid = " + to + " WHERE path = '" + project + "'";
  }

  // count(*) over the issues, as the filter means it.
  long long counted(const std::string& where) {
    soci::session s(conn);
    long long n = 0;
    s << "SELECT count(*) FROM issue i JOIN project p ON p.id = i.project_id WHERE " + where,
        soci::into(n);
    return n;
  }
};

// What 'db check' says of the tally (the issues filled by SQL lack what
// deliveries store beside them: the other checks name that).
std::vector<std::string> tally_problems(store::Store& st) {
  std::vector<std::string> out;
  for (auto& p : st.check())
    if (p.find("issue_tally") != std::string::npos) out.push_back(p);
  return out;
}

std::int64_t tallied(store::Store& st, const store::IssueFilter& f, std::int64_t cap = 1000000) {
  return st.read([&](store::Tx& tx) { return tx.issues().count(f, cap); });
}

// Every filter the tally answers, against count(*).
void check_counts(store::Store& st, TallyDb& db) {
  for (const char* project : {"", "acme/game", "acme/web"})
    for (const char* state : {"", "opened", "closed"})
      for (int spam : {0, 1, 2}) {  // not spam (default), only spam, both
        store::IssueFilter f;
        std::string where = "1 = 1";
        if (*project) {
          f.project = project;
          where += std::string(" AND p.path = '") + project + "'";
        }
        if (*state) {
          f.state = state;
          where += std::string(" AND i.state = '") + state + "'";
        }
        if (spam == 0) where += " AND i.spam = 0";
        if (spam == 1) where += " AND i.spam = 1";
        f.only_spam = spam == 1;
        f.include_spam = spam == 2;
        INFO("project '" << project << "' state '" << state << "' spam " << spam);
        CHECK(tallied(st, f) == db.counted(where));
      }
  store::IssueFilter both;
  both.projects = {"acme/game", "acme/web"};
  both.state = "opened";
  CHECK(tallied(st, both) == db.counted("i.state = 'opened' AND i.spam = 0"));
  both.projects = {""};  // a member of no project
  CHECK(tallied(st, both) == 0);
  CHECK(tallied(st, {}, 7) == 7);  // capped as the count it replaces
}

}  // namespace

TEST_CASE("store tally: the counts follow every change to an issue") {
  TallyDb db;
  auto st = store::open(db.conn, std::chrono::milliseconds(5000), 1);
  st->init();
  st->add_project("acme/game", "Game", "game", {});
  st->add_project("acme/web", "Web", "web", {});
  st->add_project("acme/empty", "Empty", "empty", {});
  db.fill("acme/game", 300, 1);
  db.fill("acme/web", 70, 1);
  check_counts(*st, db);
  CHECK(tally_problems(*st).empty());

  // Closed, reopened, flagged and released through the store, as the desk does.
  st->run(store::Work::write, [&](store::Tx& tx) {
    auto ids = tx.issues().list({});
    REQUIRE(ids.size() > 40);
    for (std::size_t k = 0; k < 40; ++k) {
      auto id = ids[k].id;
      if (k % 4 == 0) tx.issues().set_state(id, "closed", 5000, 5000);
      if (k % 4 == 1) tx.issues().set_state(id, "opened", std::nullopt, 5000);
      if (k % 4 == 2) tx.issues().set_spam(id, true, 5000);
      if (k % 4 == 3) tx.issues().set_spam(id, false, 5000);
    }
    // A change that is not one: the same state again.
    tx.issues().set_state(ids[0].id, "closed", 5001, 5001);
  });
  check_counts(*st, db);
  {
    // Written by SQL past the store: an issue moved to another project, one
    // deleted. The triggers keep the tally all the same.
    soci::session s(db.conn);
    s << "UPDATE issue SET project_id = (SELECT id FROM project WHERE path = 'acme/web'), iid = "
         "1000 WHERE iid = 7 AND project_id = (SELECT id FROM project WHERE path = 'acme/game')";
    s << "DELETE FROM issue WHERE iid = 8 AND project_id = (SELECT id FROM project WHERE path = "
         "'acme/game')";
  }
  check_counts(*st, db);
  CHECK(tally_problems(*st).empty());

  // A tally that went wrong is what 'db check' reports.
  {
    soci::session s(db.conn);
    s << "UPDATE issue_tally SET n = n + 1 WHERE state = 'opened' AND spam = 0 AND project_id = "
         "(SELECT id FROM project WHERE path = 'acme/web')";
  }
  auto problems = tally_problems(*st);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "1 project counts (issue_tally) that differ from the issues");
}

TEST_CASE("store tally: migration 16 counts the issues already there") {
  TallyDb db;
  {
    auto st = store::open(db.conn, std::chrono::milliseconds(5000), 1);
    REQUIRE(st->migrate_to(14) == 14);
    st->add_project("acme/game", "Game", "game", {});
    st->add_project("acme/web", "Web", "web", {});
    db.fill("acme/game", 500, 1);
    db.fill("acme/web", 20, 1);
  }
  auto st = store::open(db.conn, std::chrono::milliseconds(5000), 1);
  CHECK(st->migrate() == store::Store::kSchemaVersion);
  check_counts(*st, db);
  CHECK(tally_problems(*st).empty());
}
