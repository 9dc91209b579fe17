// issue_views.cc: the queue and one issue with everything on it, as the CLI
// and the web desk show them.
#include <algorithm>
#include <optional>

#include "store/issue_tally.h"
#include "store/search_index.h"
#include "store/sql_repos.h"

namespace store {

namespace {

// The names of the issue's labels, space-separated ('' for none): label
// names hold no white space (desk::valid_label).
std::string labels_column(Dialect d) {
  return std::string("COALESCE((SELECT ") +
         (d == Dialect::sqlite ? "group_concat(l.name, ' ')" : "string_agg(l.name, ' ')") +
         " FROM issue_label il JOIN label l ON l.id = il.label_id WHERE il.issue_id = i.id), '')";
}

std::vector<std::string> split_labels(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto sp = s.find(' ', start);
    if (sp == std::string::npos) sp = s.size();
    if (sp > start) out.push_back(s.substr(start, sp - start));
    start = sp + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The listing's tables. SQLite plans without statistics (no ANALYZE is
// run) and took the member's projects (path IN ..., a few rows) as the
// outer loop: every issue of those projects read by project_id and sorted,
// 6-8 s for a web queue page on 1 000 000 issues. CROSS JOIN keeps issue
// the outer loop (SQLite never reorders it), so a sort index (migration 13)
// is walked in order and the LIMIT stops it: 1-2 ms. The join condition is
// in WHERE: PostgreSQL allows no ON after CROSS JOIN, and plans it as the
// inner join it is.
constexpr const char* kFrom = " FROM issue i CROSS JOIN project p";

std::string order_by(IssueSort sort) {
  switch (sort) {
    case IssueSort::created:
      return " ORDER BY i.created_at DESC, i.id DESC";
    case IssueSort::updated:
      return " ORDER BY i.updated_at DESC, i.id DESC";
    case IssueSort::id:
      break;
  }
  return " ORDER BY i.id";
}

}  // namespace

namespace {

// The WHERE clause of a filter and the values it binds (owned here: SOCI
// binds by reference, never a temporary).
struct Where {
  std::string sql;
  std::string project, state, assignee;
  std::vector<std::string> labels, terms, projects;
  long long after_key = 0, after_id = 0;
  bool has_after = false, keyed = false;

  void bind(soci::statement& st, const IssueFilter& f) {
    if (f.project) st.exchange(soci::use(project, "project"));
    if (f.state) st.exchange(soci::use(state, "state"));
    if (f.assignee) st.exchange(soci::use(assignee, "assignee"));
    for (std::size_t n = 0; n < labels.size(); ++n)
      st.exchange(soci::use(labels[n], "l" + std::to_string(n)));
    for (std::size_t n = 0; n < terms.size(); ++n)
      st.exchange(soci::use(terms[n], "s" + std::to_string(n)));
    for (std::size_t n = 0; n < projects.size(); ++n)
      st.exchange(soci::use(projects[n], "pp" + std::to_string(n)));
    if (keyed) {
      st.exchange(soci::use(after_key, "ak"));
      st.exchange(soci::use(after_key, "ak2"));
    }
    if (has_after) st.exchange(soci::use(after_id, "aid"));
  }
};

// A label filter on SQLite. Tested per issue while the sort index is walked
// (EXISTS), a label few issues have costs a walk of every issue: 4.5 s for
// a label none of 400 000 issues has, 0.3 s for one on 400 of them. Taken
// as the list of its issues (IN: SQLite looks each up by id and sorts
// them), it costs what the label has: 1-20 ms there, 40 ms for 20 000.
// A label on more issues than that is walked (a page finds its issues
// soon). PostgreSQL plans either as the same semi-join, by its statistics.
constexpr long long kSparseLabel = 20000;

std::vector<bool> sparse_labels(Db& db, const IssueFilter& f) {
  std::vector<bool> out;
  for (const auto& name : f.labels) {
    if (db.dialect != Dialect::sqlite) {
      out.push_back(false);
      continue;
    }
    std::string key = name;
    long long cap = kSparseLabel, n = 0;
    db.run(
        "SELECT count(*) FROM (SELECT 1 FROM issue_label il JOIN label l ON l.id = il.label_id "
        "WHERE l.name_key = :k LIMIT :cap) c",
        soci::into(n), soci::use(key), soci::use(cap));
    out.push_back(n < cap);
  }
  return out;
}

// A search word on PostgreSQL. Its planner cannot tell a rare prefix
// ('zebracorn':*) from a common one and walks the sort index testing each
// issue: 0.6-1 s for a word in 10 of 200 000 issues (the walk suits a word
// half of them hold: under 1 ms). The hits of a word are fetched first, at
// most kFewHits + 1 of them (the GIN index; a few ms for a common word); when
// that is all of them, the issues are looked up by id (28 ms there).
constexpr long long kFewHits = 2000;

std::vector<std::optional<std::string>> pg_hit_lists(Db& db, const IssueFilter& f) {
  std::vector<std::optional<std::string>> out;
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

struct Plan {
  std::vector<bool> sparse;                      // per label: sparse_labels
  std::vector<std::optional<std::string>> hits;  // per search word: pg_hit_lists
};

Plan plan_of(Db& db, const IssueFilter& f) {
  return {sparse_labels(db, f), pg_hit_lists(db, f)};
}

Where where_of(Dialect d, const IssueFilter& f, const Plan& plan) {
  const auto& sparse = plan.sparse;
  Where w;
  std::string& q = w.sql;
  q = " WHERE p.id = i.project_id";
  w.project = f.project.value_or("");
  w.state = f.state.value_or("");
  w.assignee = f.assignee.value_or("");
  if (f.project) q += " AND p.path = :project";
  if (f.state) q += " AND i.state = :state";
  if (f.assignee) q += " AND i.assignee = :assignee";
  if (f.only_spam)
    q += " AND i.spam = 1";
  else if (!f.include_spam)
    q += " AND i.spam = 0";
  w.labels = f.labels;
  for (std::size_t n = 0; n < w.labels.size(); ++n)
    q += n < sparse.size() && sparse[n]
             ? " AND i.id IN (SELECT il.issue_id FROM issue_label il JOIN label l ON l.id = "
               "il.label_id WHERE l.name_key = :l" +
                   std::to_string(n) + ")"
             : " AND EXISTS (SELECT 1 FROM issue_label il JOIN label l ON l.id = il.label_id "
               "WHERE il.issue_id = i.id AND l.name_key = :l" +
                   std::to_string(n) + ")";
  if (f.search)
    for (const auto& word : search::query_words(*f.search)) {
      std::size_t k = w.terms.size();
      auto c = k < plan.hits.size() && plan.hits[k]
                   ? SearchCondition{"i.id = ANY(CAST(:s" + std::to_string(k) + " AS bigint[]))",
                                     *plan.hits[k]}
                   : search_condition(d, word, k);
      q += " AND " + c.sql;
      w.terms.push_back(std::move(c.value));
    }
  // A search without a word in it finds nothing (rather than everything).
  if (f.search && w.terms.empty()) q += " AND 1 = 0";
  if (!f.projects.empty()) {
    w.projects = f.projects;
    q += " AND p.path IN (";
    for (std::size_t n = 0; n < w.projects.size(); ++n)
      q += (n ? ", :pp" : ":pp") + std::to_string(n);
    q += ")";
  }
  if (f.after && f.sort != IssueSort::id) {
    const char* col = f.sort == IssueSort::created ? "i.created_at" : "i.updated_at";
    w.has_after = w.keyed = true;
    w.after_key = f.after->first;
    w.after_id = f.after->second;
    // The same as "col < :ak OR (col = :ak AND id < :aid)", written so
    // that the key's bound is a range on the sort index: a page deep in the
    // listing starts where its cursor is instead of scanning from the top.
    q += std::string(" AND ") + col + " <= :ak AND (" + col + " < :ak2 OR i.id < :aid)";
  } else if (f.after) {
    w.has_after = true;
    w.after_id = f.after->second;
    q += " AND i.id > :aid";
  }
  return w;
}

}  // namespace

std::vector<IssueSummary> SqlIssues::list(const IssueFilter& f) {
  std::string q =
      "SELECT i.id, p.path, i.iid, i.title, i.state, i.author_email, i.spam, i.created_at, "
      "i.updated_at, i.assignee, " +
      labels_column(db_.dialect) + kFrom;
  Where w = where_of(db_.dialect, f, plan_of(db_, f));
  q += w.sql + order_by(f.sort);
  long long limit = f.limit.value_or(0);
  if (f.limit) q += " LIMIT :lim";
  std::vector<IssueSummary> out;
  IssueSummary s;
  std::string label_names;
  long long id = 0, iid = 0, spam = 0, created = 0, updated = 0;
  db_.st.each_bound(
      q,
      [&](soci::statement& st) {
        st.exchange(soci::into(id));
        st.exchange(soci::into(s.project));
        st.exchange(soci::into(iid));
        st.exchange(soci::into(s.title));
        st.exchange(soci::into(s.state));
        st.exchange(soci::into(s.author));
        st.exchange(soci::into(spam));
        st.exchange(soci::into(created));
        st.exchange(soci::into(updated));
        st.exchange(soci::into(s.assignee));
        st.exchange(soci::into(label_names));
        w.bind(st, f);
        if (f.limit) st.exchange(soci::use(limit, "lim"));
      },
      [&] {
        s.id = id;
        s.iid = iid;
        s.ref = s.project + "#" + std::to_string(iid);
        s.spam = spam != 0;
        s.created_at = created;
        s.updated_at = updated;
        s.labels = split_labels(label_names);
        out.push_back(s);
      });
  return out;
}

std::int64_t SqlIssues::count(const IssueFilter& f_in, std::int64_t cap_in) {
  IssueFilter f = f_in;
  f.after.reset();
  if (auto n = tallied_count(db_, f)) return std::min<std::int64_t>(*n, cap_in);
  Plan plan = plan_of(db_, f);
  const auto& sparse = plan.sparse;
  Where w = where_of(db_.dialect, f, plan);
  long long cap = cap_in, n = 0;
  // The order makes SQLite walk a sort index; a sparse label's issues are
  // looked up by id instead, and counting them needs no sort.
  bool by_label = std::find(sparse.begin(), sparse.end(), true) != sparse.end();
  std::string q = std::string("SELECT count(*) FROM (SELECT 1") + kFrom + w.sql +
                  (by_label ? "" : order_by(f.sort)) + " LIMIT :cap) capped";
  db_.st.each_bound(
      q,
      [&](soci::statement& st) {
        st.exchange(soci::into(n));
        w.bind(st, f);
        st.exchange(soci::use(cap, "cap"));
      },
      [] {});
  return n;
}

std::optional<IssueDetail> SqlIssues::detail(const std::string& path_in, std::int64_t iid_in) {
  std::string path = path_in;
  long long iid = iid_in, id = 0, spam = 0, created = 0, updated = 0;
  IssueDetail d;
  std::string label_names;
  db_.run(
      "SELECT i.id, i.title, i.state, i.author_email, i.spam, i.created_at, i.updated_at, "
      "i.description, i.problems, i.assignee, " +
          labels_column(db_.dialect) +
          " FROM issue i JOIN project p ON p.id = i.project_id WHERE p.path = :p AND i.iid = :n",
      soci::into(id), soci::into(d.summary.title), soci::into(d.summary.state),
      soci::into(d.summary.author), soci::into(spam), soci::into(created), soci::into(updated),
      soci::into(d.description), soci::into(d.problems), soci::into(d.summary.assignee),
      soci::into(label_names), soci::use(path), soci::use(iid));
  if (!db_.got_data()) return std::nullopt;
  d.summary.project = path;
  d.summary.iid = iid;
  d.summary.ref = path + "#" + std::to_string(iid);
  d.summary.spam = spam != 0;
  d.summary.created_at = created;
  d.summary.updated_at = updated;
  d.summary.labels = split_labels(label_names);
  {
    NoteView n;
    long long internal = 0, at = 0, nspam = 0, verified = 1;
    db_.each(
        "SELECT author_kind, author, body, internal, created_at, full_body, spam, verified, "
        "problems "
        "FROM note "
        "WHERE issue_id = :id ORDER BY id",
        [&] {
          NoteView v = n;
          v.internal = internal != 0;
          v.created_at = at;
          if (v.full_body.empty()) v.full_body = v.body;
          v.spam = nspam != 0;
          v.verified = verified != 0;
          d.notes.push_back(std::move(v));
        },
        soci::into(n.author_kind), soci::into(n.author), soci::into(n.body), soci::into(internal),
        soci::into(at), soci::into(n.full_body), soci::into(nspam), soci::into(verified),
        soci::into(n.problems), soci::use(id));
  }
  {
    AttachmentView a;
    long long size = 0, aid = 0;
    db_.each(
        "SELECT id, filename, content_type, size, sha256 FROM attachment WHERE issue_id = :id "
        "ORDER BY id",
        [&] {
          a.id = aid;
          a.size = size;
          d.attachments.push_back(a);
        },
        soci::into(aid), soci::into(a.filename), soci::into(a.content_type), soci::into(size),
        soci::into(a.sha256), soci::use(id));
  }
  {
    ParticipantView p;
    long long subscribed = 0, bouncing = 0;
    db_.each(
        "SELECT email, reply_key, subscribed, bouncing, role FROM participant WHERE issue_id = :id "
        "ORDER BY id",
        [&] {
          p.subscribed = subscribed != 0;
          p.bouncing = bouncing != 0;
          d.participants.push_back(p);
        },
        soci::into(p.email), soci::into(p.reply_key), soci::into(subscribed), soci::into(bouncing),
        soci::into(p.role), soci::use(id));
  }
  return d;
}

}  // namespace store
