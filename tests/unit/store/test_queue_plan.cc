// The queue's SQL on SQLite walks a sort index in the page's own order
// (schema 17): the query the web desk and `deskmail issue list` run, as
// QueueQuery writes it, is planned without a sort of its own ("USE TEMP
// B-TREE") for each order, with and without a state, an assignee or a
// keyset cursor. A sort there means each page sorts what it read again:
// 30 % of a queue page's SQLite time on 1 000 000 issues. SQLite only:
// PostgreSQL plans by its statistics.
#include <doctest/doctest.h>
#include <soci/soci.h>

#include "empty_db.h"
#include "store/db.h"
#include "store/queue_sql.h"
#include "store/store.h"

namespace {

// SQLite's plan of `f`'s page, one line per step.
std::string plan(const std::string& conn, const store::IssueFilter& f) {
  store::Db db(store::Dialect::sqlite);
  db.sql.open(conn);
  store::QueueQuery q(db, f);
  std::string detail, out;
  int id = 0, parent = 0, unused = 0;
  soci::statement st(db.sql);
  st.exchange(soci::into(id));
  st.exchange(soci::into(parent));
  st.exchange(soci::into(unused));
  st.exchange(soci::into(detail));
  q.bind(st, std::nullopt);
  st.alloc();
  st.prepare("EXPLAIN QUERY PLAN " + q.list_sql("i.id, p.path, i.title"));
  st.define_and_bind();
  st.execute(false);
  while (st.fetch()) out += detail + "\n";
  return out;
}

}  // namespace

TEST_CASE("store (SQLite): the queue walks a sort index in the page's order, ties by id") {
  store_test::EmptyDb e("plan");
  if (e.pg) return;  // PostgreSQL plans by its statistics
  {
    auto st = store::open(e.conn, std::chrono::milliseconds(5000), 1);
    st->init();
    st->add_project("acme/game", "Game", "game", {});
  }
  for (auto sort : {store::IssueSort::updated, store::IssueSort::created}) {
    for (int variant = 0; variant < 4; ++variant) {
      store::IssueFilter f;
      f.sort = sort;
      f.limit = 51;
      f.projects = {"acme/game"};
      if (variant == 0 || variant == 2) f.state = "opened";
      if (variant == 1) f.assignee = "a@example.org";
      if (variant == 2) f.after = std::pair<std::int64_t, std::int64_t>{1000, 42};
      std::string p = plan(e.conn, f);
      CAPTURE(p);
      CAPTURE(variant);
      CHECK(p.find("USING INDEX issue_") != std::string::npos);
      CHECK(p.find("TEMP B-TREE") == std::string::npos);
    }
  }
}
