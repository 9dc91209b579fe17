// issue_views.cc: the queue and one issue with everything on it, as the CLI
// and the web desk show them.
#include <algorithm>
#include <optional>

#include "store/issue_tally.h"
#include "store/queue_sql.h"
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

}  // namespace

std::vector<IssueSummary> SqlIssues::list(const IssueFilter& f) {
  std::string columns =
      "i.id, p.path, i.iid, i.title, i.state, i.author_email, i.spam, i.created_at, "
      "i.updated_at, i.assignee, " +
      labels_column(db_.dialect);
  QueueQuery query(db_, f);
  std::vector<IssueSummary> out;
  IssueSummary s;
  std::string label_names;
  long long id = 0, iid = 0, spam = 0, created = 0, updated = 0;
  db_.st.each_bound(
      query.list_sql(columns),
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
        query.bind(st, std::nullopt);
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
  QueueQuery query(db_, f);
  long long cap = cap_in, n = 0;
  db_.st.each_bound(
      query.count_sql(),
      [&](soci::statement& st) {
        st.exchange(soci::into(n));
        query.bind(st, cap);
      },
      [] {});
  // Each of a label's walks stops at the cap: their sum may pass it.
  return std::min<std::int64_t>(n, cap_in);
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
