// queue_sql.cc: the queue's SQL: a filter as a WHERE clause over the issue
// table or over a label's rows of issue_label, ordered and keyset-paged.
#include "store/queue_sql.h"

#include <algorithm>

#include "store/search_index.h"

namespace store {

namespace {

// The listing's tables. SQLite plans without statistics (no ANALYZE is
// run) and took the member's projects (path IN ..., a few rows) as the
// outer loop: every issue of those projects read by project_id and sorted,
// 6-8 s for a web queue page on 1 000 000 issues. CROSS JOIN keeps issue
// the outer loop (SQLite never reorders it), so a sort index (migration 13)
// is walked in order and the LIMIT stops it: 1-2 ms. The join condition is
// in WHERE: PostgreSQL allows no ON after CROSS JOIN, and plans it as the
// inner join it is.
constexpr const char* kFrom = " FROM issue i CROSS JOIN project p";
// A label's walk: its rows of issue_label in the listing's order (the
// indexes of migration 15), state, spam and assignee tested on the index;
// an issue is read only for a search word or another label. Reading each
// candidate issue cost as much as the old walk down the issue index (a
// label on 2 in 5 of 1 000 000 issues: 91 ms a page under wrk, 80 before).
constexpr const char* kLabelFrom = " FROM issue_label il";
constexpr const char* kLabelJoin = " CROSS JOIN issue i";

// The columns a filter tests and sorts by: the issue's own, or their copies
// in issue_label.
struct Cols {
  const char *state, *spam, *assignee, *updated, *created, *id;
};
constexpr Cols kIssueCols{"i.state",      "i.spam",       "i.assignee",
                          "i.updated_at", "i.created_at", "i.id"};
constexpr Cols kLabelCols{"il.state",      "il.spam",       "il.assignee",
                          "il.updated_at", "il.created_at", "il.issue_id"};

std::string order_by(IssueSort sort, const Cols& c) {
  switch (sort) {
    case IssueSort::created:
      return std::string(" ORDER BY ") + c.created + " DESC, " + c.id + " DESC";
    case IssueSort::updated:
      return std::string(" ORDER BY ") + c.updated + " DESC, " + c.id + " DESC";
    case IssueSort::id:
      break;
  }
  return std::string(" ORDER BY ") + c.id;
}

// A search word on PostgreSQL. Its planner cannot tell a rare prefix
// ('zebracorn':*) from a common one and walks the sort index testing each
// issue: 0.6-1 s for a word in 10 of 200 000 issues (the walk suits a word
// half of them hold: under 1 ms). The hits of a word are fetched first, at
// most kFewHits + 1 of them (the GIN index; a few ms for a common word); when
// that is all of them, the issues are looked up by id (28 ms there).
constexpr long long kFewHits = 2000;

using Hits = std::vector<std::optional<std::string>>;  // per search word

Hits pg_hit_lists(Db& db, const IssueFilter& f) {
  Hits out;
  if (db.dialect != Dialect::postgresql || !f.search) return out;
  for (const auto& word : search::query_words(*f.search)) {
    std::string q = search::pg_query(word), ids = "{";
    long long cap = kFewHits + 1, id = 0, n = 0;
    db.each(
        "SELECT issue_id FROM search_doc WHERE words @@ CAST(:q AS tsquery) LIMIT :cap",
        [&] { ids += (n++ ? "," : "") + std::to_string(id); }, soci::into(id), soci::use(q),
        soci::use(cap));
    if (n > kFewHits) {
      out.emplace_back();
    } else {
      out.emplace_back(ids + "}");
    }
  }
  return out;
}

// With several labels, the one on the fewest issues is walked (each
// counted up to kLabelCount: a walk of one on more is as good as another).
constexpr long long kLabelCount = 20000;

std::size_t walked_label(Db& db, const IssueFilter& f) {
  std::size_t best = 0;
  long long fewest = kLabelCount + 1;
  for (std::size_t k = 0; f.labels.size() > 1 && k < f.labels.size(); ++k) {
    std::string key = f.labels[k];
    long long cap = kLabelCount, n = 0;
    db.run(
        "SELECT count(*) FROM (SELECT 1 FROM issue_label il JOIN label l ON l.id = il.label_id "
        "WHERE l.name_key = :k LIMIT :cap) c",
        soci::into(n), soci::use(key), soci::use(cap));
    if (n < fewest) best = k, fewest = n;
  }
  return best;
}

// The ids of the labels named `key` in the filter's projects (a label
// belongs to one project; each of them is walked on its own).
std::vector<long long> label_ids(Db& db, const IssueFilter& f, const std::string& key_in) {
  std::string key = key_in, path;
  long long id = 0;
  std::vector<long long> out;
  db.each(
      "SELECT l.id, p.path FROM label l JOIN project p ON p.id = l.project_id "
      "WHERE l.name_key = :k ORDER BY l.id",
      [&] {
        bool in = (!f.project || *f.project == path) &&
                  (f.projects.empty() ||
                   std::find(f.projects.begin(), f.projects.end(), path) != f.projects.end());
        if (in) out.push_back(id);
      },
      soci::into(id), soci::into(path), soci::use(key));
  return out;
}

// The label's walks are joined by UNION ALL: more of them than this (a
// label in many of the member's projects) are not walked; the issue sort
// index is, testing each issue for the label.
constexpr std::size_t kMaxWalks = 32;

// Whether a label's walk tests the issue itself: for a search word or
// another label (the rest is in the copies, on the walked index).
bool walk_joins_issue(const IssueFilter& f) {
  return f.search || f.labels.size() > 1;
}

// Adds to `w` the condition of each search word (tagged :sN).
void add_search(Where& w, Dialect d, const IssueFilter& f, const Hits& hits) {
  if (!f.search) return;
  for (const auto& word : search::query_words(*f.search)) {
    std::size_t k = w.terms.size();
    std::string s = "s" + std::to_string(k) + w.tag;
    auto cond = k < hits.size() && hits[k]
                    ? SearchCondition{"i.id = ANY(CAST(:" + s + " AS bigint[]))", *hits[k]}
                    : search_condition(d, word, s);
    w.sql += " AND " + cond.sql;
    w.terms.push_back(std::move(cond.value));
  }
  // A search without a word in it finds nothing (rather than everything).
  if (w.terms.empty()) w.sql += " AND 1 = 0";
}

// Adds to `w` the keyset page's start (f.after) over columns `c`.
void add_keyset(Where& w, const IssueFilter& f, const Cols& c) {
  auto name = [&](const char* n) { return std::string(":") + n + w.tag; };
  if (f.after && f.sort != IssueSort::id) {
    const char* col = f.sort == IssueSort::created ? c.created : c.updated;
    w.has_after = w.keyed = true;
    w.after_key = f.after->first;
    w.after_id = f.after->second;
    // The same as "col < :ak OR (col = :ak AND id < :aid)", written so
    // that the key's bound is a range on the sort index: a page deep in the
    // listing starts where its cursor is instead of scanning from the top.
    w.sql += std::string(" AND ") + col + " <= " + name("ak") + " AND (" + col + " < " +
             name("ak2") + " OR " + c.id + " < " + name("aid") + ")";
  } else if (f.after) {
    w.has_after = true;
    w.after_id = f.after->second;
    w.sql += std::string(" AND ") + c.id + " > " + name("aid");
  }
}

// The WHERE clause of filter `f` over columns `c`, with names tagged `tag`;
// the label `skip` is the walked one (tested by its id, `label_id`).
Where where_of(Dialect d, const IssueFilter& f, const Hits& hits, const Cols& c,
               const std::string& tag, std::optional<std::size_t> skip, long long label_id) {
  Where w;
  w.tag = tag;
  std::string& q = w.sql;
  auto name = [&](const std::string& n) { return ":" + n + tag; };
  // A label's walk: the label is of one of the filter's projects (label_ids)
  // and only on that project's issues (db check), so the projects need no
  // test; the issue is joined only for the tests its copies cannot answer.
  if (skip) {
    w.by_label = true;
    w.label_id = label_id;
    q = " WHERE il.label_id = " + name("lid");
    if (walk_joins_issue(f)) q += " AND i.id = il.issue_id";
  } else {
    q = " WHERE p.id = i.project_id";
  }
  w.project = f.project.value_or("");
  w.state = f.state.value_or("");
  w.assignee = f.assignee.value_or("");
  if (f.project && !skip) q += " AND p.path = " + name("project");
  if (f.state) q += std::string(" AND ") + c.state + " = " + name("state");
  if (f.assignee) q += std::string(" AND ") + c.assignee + " = " + name("assignee");
  if (f.only_spam)
    q += std::string(" AND ") + c.spam + " = 1";
  else if (!f.include_spam)
    q += std::string(" AND ") + c.spam + " = 0";
  for (std::size_t n = 0; n < f.labels.size(); ++n) {
    if (skip && n == *skip) continue;
    q += " AND EXISTS (SELECT 1 FROM issue_label x JOIN label l ON l.id = x.label_id "
         "WHERE x.issue_id = i.id AND l.name_key = " +
         name("l" + std::to_string(w.labels.size())) + ")";
    w.labels.push_back(f.labels[n]);
  }
  add_search(w, d, f, hits);
  if (!f.projects.empty() && !skip) {
    w.projects = f.projects;
    q += " AND p.path IN (";
    for (std::size_t n = 0; n < w.projects.size(); ++n)
      q += (n ? ", " : "") + name("pp" + std::to_string(n));
    q += ")";
  }
  add_keyset(w, f, c);
  return w;
}

}  // namespace

void Where::bind(soci::statement& st, const IssueFilter& f) {
  if (by_label) st.exchange(soci::use(label_id, "lid" + tag));
  if (f.project && !by_label) st.exchange(soci::use(project, "project" + tag));
  if (f.state) st.exchange(soci::use(state, "state" + tag));
  if (f.assignee) st.exchange(soci::use(assignee, "assignee" + tag));
  for (std::size_t n = 0; n < labels.size(); ++n)
    st.exchange(soci::use(labels[n], "l" + std::to_string(n) + tag));
  for (std::size_t n = 0; n < terms.size(); ++n)
    st.exchange(soci::use(terms[n], "s" + std::to_string(n) + tag));
  for (std::size_t n = 0; n < projects.size(); ++n)
    st.exchange(soci::use(projects[n], "pp" + std::to_string(n) + tag));
  if (keyed) {
    st.exchange(soci::use(after_key, "ak" + tag));
    st.exchange(soci::use(after_key, "ak2" + tag));
  }
  if (has_after) st.exchange(soci::use(after_id, "aid" + tag));
}

QueueQuery::QueueQuery(Db& db, const IssueFilter& f) : f_(f), limit_(f.limit.value_or(0)) {
  Hits hits = pg_hit_lists(db, f);
  if (!f.labels.empty()) {
    std::size_t walked = walked_label(db, f);
    auto ids = label_ids(db, f, f.labels[walked]);
    if (ids.size() <= kMaxWalks) {
      by_label_ = true;
      for (std::size_t k = 0; k < ids.size(); ++k)
        wheres_.push_back(
            where_of(db.dialect, f, hits, kLabelCols, "w" + std::to_string(k), walked, ids[k]));
      return;
    }
  }
  wheres_.push_back(where_of(db.dialect, f, hits, kIssueCols, "", std::nullopt, 0));
}

// Each walk, "SELECT id FROM (...) wN" joined by UNION ALL, each limited
// to `limit` rows when it is not null.
std::string QueueQuery::walks(const char* limit) const {
  std::string q;
  for (std::size_t k = 0; k < wheres_.size(); ++k) {
    const Where& w = wheres_[k];
    q += (k ? " UNION ALL " : "") + std::string("SELECT id FROM (SELECT il.issue_id AS id") +
         kLabelFrom + (walk_joins_issue(f_) ? kLabelJoin : "") + w.sql +
         order_by(f_.sort, kLabelCols) + (limit ? std::string(" LIMIT :") + limit + w.tag : "") +
         ") " + w.tag;
  }
  return q;
}

std::string QueueQuery::list_sql(const std::string& columns) const {
  std::string limit = f_.limit ? " LIMIT :lim" : "";
  if (!by_label_)
    return "SELECT " + columns + kFrom + wheres_[0].sql + order_by(f_.sort, kIssueCols) + limit;
  // No label of that name in the filter's projects: nothing to walk.
  if (wheres_.empty()) return "SELECT " + columns + kFrom + " WHERE 1 = 0" + limit;
  return "SELECT " + columns + " FROM (" + walks(f_.limit ? "lim" : nullptr) +
         ") c CROSS JOIN issue i CROSS JOIN project p WHERE i.id = c.id AND p.id = i.project_id" +
         order_by(f_.sort, kIssueCols) + limit;
}

std::string QueueQuery::count_sql() const {
  // The order makes SQLite walk a sort index, and the LIMIT stop it.
  if (!by_label_)
    return std::string("SELECT count(*) FROM (SELECT 1") + kFrom + wheres_[0].sql +
           order_by(f_.sort, kIssueCols) + " LIMIT :cap) capped";
  if (wheres_.empty()) return "SELECT 0";
  return "SELECT count(*) FROM (" + walks("cap") + ") c";
}

void QueueQuery::bind(soci::statement& st, std::optional<long long> cap) {
  if (cap) cap_ = *cap;
  for (auto& w : wheres_) {
    w.bind(st, f_);
    if (!by_label_) continue;
    if (cap)
      st.exchange(soci::use(cap_, "cap" + w.tag));
    else if (f_.limit)
      st.exchange(soci::use(limit_, "lim" + w.tag));
  }
  if (!by_label_ && cap) st.exchange(soci::use(cap_, "cap"));
  if (!cap && f_.limit) st.exchange(soci::use(limit_, "lim"));
}

}  // namespace store
