// The queue with a label (issue 21, schema 15): issue_label's copies of its
// issue's updated_at, created_at, state, spam and assignee stay exact after
// every kind of change (the triggers), the queue that walks a label's rows
// in order gives the pages and counts of a plain query over the issues
// (written here, testing each issue for the label), and migration 15 fills
// the copies of a database filled at 14. Against SQLite, and PostgreSQL
// when DESKMAIL_TEST_PG names one (the "store*" cases run in the pg suite).
#include <doctest/doctest.h>
#include <soci/soci.h>
#include <unistd.h>

#include <filesystem>

#include "desk/desk.h"
#include "desk/tracker.h"
#include "empty_db.h"
#include "store/store.h"

namespace fs = std::filesystem;

namespace {

const std::chrono::milliseconds kWait(5000);
using Ids = std::vector<long long>;

struct LabelDb : store_test::EmptyDb {
  std::unique_ptr<store::Store> st;
  explicit LabelDb(int version = store::Store::kSchemaVersion) : EmptyDb("label") {
    st = store::open(conn, kWait, 1);
    REQUIRE(st->migrate_to(version) == version);
    st->add_project("acme/game", "Game", "game", {});
    st->add_project("acme/web", "Web", "web", {});
    st->add_project("other/desk", "Desk", "desk", {});
  }
  ~LabelDb() { st.reset(); }
  long long scalar(const std::string& q) {
    soci::session s(conn);
    long long n = 0;
    s << q, soci::into(n);
    return n;
  }
  // issue_label rows whose copies differ from their issue.
  // db check's findings about labels (an SQL fill leaves others: no raw
  // message, no search index).
  std::vector<std::string> label_problems() {
    std::vector<std::string> out;
    for (auto& p : st->check())
      if (p.find("label") != std::string::npos) out.push_back(p);
    return out;
  }
  long long stale() {
    return scalar(
        "SELECT count(*) FROM issue_label il JOIN issue i ON i.id = il.issue_id WHERE "
        "il.updated_at <> i.updated_at OR il.created_at <> i.created_at OR il.state <> i.state "
        "OR il.spam <> i.spam OR il.assignee <> i.assignee");
  }

  // n issues over the three projects by SQL (ties in updated_at, some open,
  // spam, assigned), labels common (2 in 5), mid (1 in 10), rare (1 in 97)
  // in every project and solo in acme/web only; then changes made to some
  // labelled issues.
  void fill(int n) {
    soci::session s(conn);
    s << "INSERT INTO issue (project_id, iid, title, description, state, author_email, "
         "author_name, message_id, created_at, updated_at, spam, assignee) "
         "SELECT (SELECT id FROM project WHERE path = CASE k % 3 WHEN 0 THEN 'acme/game' WHEN 1 "
         "THEN 'acme/web' ELSE 'other/desk' END), k, 'filled ' || k, 'text', CASE WHEN k % 5 = 0 "
         "THEN 'opened' ELSE 'closed' END, 'c@example.org', '', 'f' || k || '@x', 1000000 + k, "
         "1000000 + (k * 7919) % 500, CASE WHEN k % 11 = 0 THEN 1 ELSE 0 END, CASE k % 4 WHEN 0 "
         "THEN 'a@x' WHEN 1 THEN 'b@x' ELSE '' END "
         "FROM (WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < " +
             std::to_string(n) + ") SELECT k FROM n) s";
    for (const char* l : {"common", "mid", "rare"})
      s << "INSERT INTO label (project_id, name, name_key) SELECT id, '" + std::string(l) + "', '" +
               l + "' FROM project";
    s << "INSERT INTO label (project_id, name, name_key) SELECT id, 'solo', 'solo' FROM project "
         "WHERE path = 'acme/web'";
    for (const auto& [l, cond] : {std::pair{"common", "i.iid % 5 < 2"},
                                  {"mid", "i.iid % 10 = 3"},
                                  {"rare", "i.iid % 97 = 5"},
                                  {"solo", "1 = 1"}})
      s << "INSERT INTO issue_label (issue_id, label_id) SELECT i.id, l.id FROM issue i JOIN label "
           "l ON l.project_id = i.project_id AND l.name_key = '" +
               std::string(l) + "' WHERE " + cond;
    s << "UPDATE issue SET state = 'opened', updated_at = updated_at + 3 WHERE iid % 13 = 0";
    s << "UPDATE issue SET assignee = 'b@x', spam = 0 WHERE iid % 17 = 0";
  }
};

// The issues `f` selects, in its order, by a plain query over the issues.
struct Expected {
  Ids ids;
  std::vector<std::pair<std::int64_t, std::int64_t>> keys;  // the cursor after each
};

Expected expected(LabelDb& db, const store::IssueFilter& f) {
  std::string q =
      "SELECT i.id, i.updated_at, i.created_at FROM issue i JOIN project p ON p.id = "
      "i.project_id WHERE 1 = 1";
  if (f.project) q += " AND p.path = '" + *f.project + "'";
  if (f.state) q += " AND i.state = '" + *f.state + "'";
  if (f.assignee) q += " AND i.assignee = '" + *f.assignee + "'";
  if (f.only_spam) q += " AND i.spam = 1";
  if (!f.only_spam && !f.include_spam) q += " AND i.spam = 0";
  for (const auto& l : f.labels)
    q += " AND EXISTS (SELECT 1 FROM issue_label x JOIN label l ON l.id = x.label_id WHERE "
         "x.issue_id = i.id AND l.name_key = '" +
         l + "')";
  if (!f.projects.empty()) {
    q += " AND p.path IN ('" + f.projects[0] + "'";
    for (std::size_t n = 1; n < f.projects.size(); ++n) q += ", '" + f.projects[n] + "'";
    q += ")";
  }
  q += f.sort == store::IssueSort::updated   ? " ORDER BY i.updated_at DESC, i.id DESC"
       : f.sort == store::IssueSort::created ? " ORDER BY i.created_at DESC, i.id DESC"
                                             : " ORDER BY i.id";
  Expected e;
  soci::session s(db.conn);
  long long id = 0, updated = 0, created = 0;
  soci::statement st = (s.prepare << q, soci::into(id), soci::into(updated), soci::into(created));
  st.execute();
  while (st.fetch()) {
    e.ids.push_back(id);
    auto key = f.sort == store::IssueSort::updated   ? updated
               : f.sort == store::IssueSort::created ? created
                                                     : 0;
    e.keys.emplace_back(key, id);
  }
  return e;
}

Ids page(LabelDb& db, store::IssueFilter f, std::size_t limit,
         std::optional<std::pair<std::int64_t, std::int64_t>> after) {
  f.limit = static_cast<std::int64_t>(limit);
  f.after = after;
  Ids out;
  for (const auto& s : db.st->list_issues(f)) out.push_back(s.id);
  return out;
}

std::int64_t count(LabelDb& db, const store::IssueFilter& f, std::int64_t cap) {
  return db.st->read([&](store::Tx& tx) { return tx.issues().count(f, cap); });
}

// Pages of 7 from the top (six of them) and from the middle, and the count
// capped below and above the number, against expected().
void same_as_plain_query(LabelDb& db, const store::IssueFilter& f) {
  Expected e = expected(db, f);
  const std::size_t n = 7;
  std::optional<std::pair<std::int64_t, std::int64_t>> after;
  for (std::size_t from = 0; from < 6 * n; from += n) {
    Ids want(e.ids.begin() + static_cast<long>(std::min(from, e.ids.size())),
             e.ids.begin() + static_cast<long>(std::min(from + n, e.ids.size())));
    CHECK(page(db, f, n, after) == want);
    if (from + n > e.ids.size()) break;
    after = e.keys[from + n - 1];
  }
  if (e.ids.size() > 2) {
    std::size_t mid = e.ids.size() / 2;
    Ids want(e.ids.begin() + static_cast<long>(mid + 1),
             e.ids.begin() + static_cast<long>(std::min(mid + 1 + n, e.ids.size())));
    CHECK(page(db, f, n, e.keys[mid]) == want);
  }
  auto all = static_cast<std::int64_t>(e.ids.size());
  CHECK(count(db, f, 5) == std::min<std::int64_t>(5, all));
  CHECK(count(db, f, 100000) == all);
}

// Every label with each state, sort, and one other filter at a time.
void every_filter_alike(LabelDb& db) {
  using store::IssueSort;
  for (const char* label : {"common", "mid", "rare", "solo", "nowhere"})
    for (const char* state : {"", "opened", "closed"})
      for (auto sort : {IssueSort::updated, IssueSort::created, IssueSort::id})
        for (int variant = 0; variant < 7; ++variant) {
          store::IssueFilter f;
          f.labels = {label};
          if (*state) f.state = state;
          f.sort = sort;
          if (variant == 1) f.assignee = "a@x";
          if (variant == 2) f.projects = {"acme/game", "acme/web"};
          if (variant == 3) f.project = "acme/web";
          if (variant == 4) f.only_spam = true;
          if (variant == 5) f.include_spam = true;
          if (variant == 6) f.labels.push_back(std::string(label) == "mid" ? "common" : "mid");
          INFO(label << " state=" << state << " sort=" << static_cast<int>(sort)
                     << " variant=" << variant);
          same_as_plain_query(db, f);
        }
}

}  // namespace

TEST_CASE("store label queue: issue_label's copies follow every change to the issue") {
  LabelDb db;
  INFO(db.conn);
  std::int64_t now = 1'700'000'000;
  desk::Desk desk(*db.st, nullptr);
  desk.set_clock([&] { return now; });
  desk.add_member("acme/game", "agent@acme.example");
  desk.add_label("acme/game", "bug", "");
  desk.add_label("acme/game", "ui", "");
  auto target = *db.st->find_project_key("game");
  store::Inbound in;
  in.dedupe_key = "mid:1@x";
  in.mail_from = in.author_email = in.contact_email = "c@example.org";
  in.title = in.body = in.message_id = "1@x";
  in.raw = common::bytes_of("Subject: x\r\n\r\nhi");
  in.raw_sha256 = "sha-1";
  auto ref = desk.deliver(target, in).ref;
  auto id = db.scalar("SELECT max(id) FROM issue");
  auto copy = [&](const std::string& col) {
    return db.scalar(
        "SELECT count(*) FROM issue_label il JOIN issue i ON i.id = il.issue_id WHERE "
        "il.issue_id = " +
        std::to_string(id) + " AND il." + col + " = i." + col);
  };
  auto step = [&](const char* what, auto&& change) {
    now += 60;
    change();
    INFO(what);
    CHECK(db.stale() == 0);
    CHECK(db.st->check().empty());
  };
  step("label added", [&] { desk.relabel(ref, {"bug", "ui"}, {}, "agent@acme.example"); });
  CHECK(db.scalar("SELECT count(*) FROM issue_label WHERE updated_at = " + std::to_string(now)) ==
        2);
  step("a note (touch)", [&] { desk.add_note(ref, {"agent@acme.example", "responder", "hi"}); });
  CHECK(copy("updated_at") == 2);
  CHECK(db.scalar("SELECT count(*) FROM issue_label WHERE updated_at = " + std::to_string(now)) ==
        2);
  step("closed", [&] { desk.set_state(ref, "closed", "agent@acme.example"); });
  CHECK(db.scalar("SELECT count(*) FROM issue_label WHERE state = 'closed' AND issue_id = " +
                  std::to_string(id)) == 2);
  step("reopened", [&] { desk.set_state(ref, "opened", "agent@acme.example"); });
  step("assigned", [&] { desk.assign(ref, "agent@acme.example", "agent@acme.example"); });
  CHECK(db.scalar("SELECT count(*) FROM issue_label WHERE assignee = 'agent@acme.example'") == 2);
  step("quarantined", [&] { desk.set_spam(ref, true); });
  CHECK(copy("spam") == 2);
  step("released", [&] { desk.set_spam(ref, false); });
  step("label removed", [&] { desk.relabel(ref, {}, {"ui"}, "agent@acme.example"); });
  CHECK(db.scalar("SELECT count(*) FROM issue_label WHERE issue_id = " + std::to_string(id)) == 1);
  step("by SQL, as another writer", [&] {
    soci::session s(db.conn);
    s << "UPDATE issue SET updated_at = 5, created_at = 4, assignee = 'x@y', state = 'closed'";
  });
  step("the label removed from the project", [&] { desk.remove_label("acme/game", "bug"); });
  CHECK(db.scalar("SELECT count(*) FROM issue_label WHERE issue_id = " + std::to_string(id)) == 0);
}

TEST_CASE("store label queue: walking a label's rows pages and counts as a plain query") {
  LabelDb db;
  INFO(db.conn);
  db.fill(3000);
  REQUIRE(db.stale() == 0);
  CHECK(db.label_problems().empty());
  every_filter_alike(db);
}

TEST_CASE("store label queue: migration 15 fills the copies of a database filled at 14") {
  LabelDb db(14);
  INFO(db.conn);
  db.fill(3000);
  CHECK(db.st->version() == 14);
  CHECK(db.st->migrate() == store::Store::kSchemaVersion);
  CHECK(db.stale() == 0);
  CHECK(db.scalar("SELECT count(*) FROM issue_label") > 1000);
  CHECK(db.label_problems().empty());
  every_filter_alike(db);
}

// A label in more projects than the walks joined (32): the issue sort index
// is walked instead, testing each issue for the label; the same pages.
TEST_CASE("store label queue: a label in 40 projects pages as a plain query") {
  LabelDb db;
  INFO(db.conn);
  for (int n = 0; n < 37; ++n)
    db.st->add_project("many/p" + std::to_string(n), "P", "p" + std::to_string(n), {});
  db.fill(600);
  {
    soci::session s(db.conn);
    s << "INSERT INTO label (project_id, name, name_key) SELECT id, 'every', 'every' FROM project";
    s << "INSERT INTO issue_label (issue_id, label_id) SELECT i.id, l.id FROM issue i JOIN label "
         "l ON l.project_id = i.project_id AND l.name_key = 'every' WHERE i.iid % 3 = 0";
  }
  for (auto sort : {store::IssueSort::updated, store::IssueSort::created, store::IssueSort::id}) {
    store::IssueFilter f;
    f.labels = {"every"};
    f.sort = sort;
    same_as_plain_query(db, f);
    f.state = "opened";
    same_as_plain_query(db, f);
    f.labels.push_back("common");
    same_as_plain_query(db, f);
  }
}
