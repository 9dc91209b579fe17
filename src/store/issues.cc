// issues.cc: issue rows and the Message-IDs of their threads.
#include "store/search_index.h"
#include "store/sql_repos.h"

namespace store {

std::optional<std::int64_t> SqlIssues::find(const std::string& path_in, std::int64_t iid_in) {
  std::string path = path_in;
  long long iid = iid_in, id = 0;
  db_.run(
      "SELECT i.id FROM issue i JOIN project p ON p.id = i.project_id WHERE p.path = :p AND "
      "i.iid = :n",
      soci::into(id), soci::use(path), soci::use(iid));
  if (!db_.got_data()) return std::nullopt;
  return id;
}

IssueRow SqlIssues::get(std::int64_t id) {
  IssueRow c;
  c.id = id;
  long long issue_id = id, pid = 0, iid = 0, conf = 1, notify = 0, reopen = 1, cc = 0, spam = 0,
            never = 0, disclose = 0;
  db_.run(
      "SELECT i.project_id, i.iid, i.title, i.description, i.state, i.message_id, p.path, "
      "p.name, p.confirmation, p.notify_members, p.reopen_on_reply, i.spam, i.never_answer, "
      "p.cc_participants, p.disclose_fixes, i.assignee "
      "FROM issue i JOIN project p ON p.id = i.project_id WHERE i.id = :i",
      soci::into(pid), soci::into(iid), soci::into(c.title), soci::into(c.description),
      soci::into(c.state), soci::into(c.message_id), soci::into(c.project.path),
      soci::into(c.project.name), soci::into(conf), soci::into(notify), soci::into(reopen),
      soci::into(spam), soci::into(never), soci::into(cc), soci::into(disclose), soci::into(c.assignee),
      soci::use(issue_id));
  if (!db_.got_data()) throw Error("issue vanished");
  c.iid = iid;
  c.project.id = pid;
  c.project.settings = {conf != 0, notify != 0, reopen != 0, cc != 0, disclose != 0};
  c.spam = spam != 0;
  c.never_answer = never != 0;
  return c;
}

std::int64_t SqlIssues::add(const NewIssue& in) {
  // Bound by reference: a copy of a 100 KiB description per statement was
  // measurable, and for a 25 MB message 1 MiB of text each.
  long long pid = in.project_id, iid = in.iid, raw_id = in.raw_message_id, t = in.created_at;
  long long spam = in.spam ? 1 : 0, never = in.never_answer ? 1 : 0;
  soci::indicator raw_ind = raw_id ? soci::i_ok : soci::i_null;
  long long issue_id = 0;
  db_.run(
      "INSERT INTO issue (project_id, iid, title, description, author_email, author_name, "
      "message_id, raw_message_id, problems, created_at, updated_at, spam, spam_reason, "
      "never_answer) VALUES (:p, :iid, :title, :body, :email, :name, :mid, :raw, :probs, "
      ":t, :t2, :spam, :sr, :na) RETURNING id",
      soci::use(pid), soci::use(iid), soci::use(in.title), soci::use(in.description),
      soci::use(in.author_email), soci::use(in.author_name), soci::use(in.message_id),
      soci::use(raw_id, raw_ind), soci::use(in.problems), soci::use(t), soci::use(t),
      soci::use(spam), soci::use(in.spam_reason), soci::use(never), soci::into(issue_id));
  index_text(db_, issue_id, in.title + " " + in.description);
  return issue_id;
}

void SqlIssues::touch(std::int64_t id, std::int64_t at) {
  long long issue_id = id, t = at;
  db_.run("UPDATE issue SET updated_at = :t WHERE id = :i", soci::use(t), soci::use(issue_id));
}

void SqlIssues::set_state(std::int64_t id, const std::string& state,
                          std::optional<std::int64_t> closed_at, std::int64_t at) {
  long long issue_id = id, t = at, closed = closed_at.value_or(0);
  std::string st = state;
  soci::indicator closed_ind = closed_at ? soci::i_ok : soci::i_null;
  db_.run("UPDATE issue SET state = :s, closed_at = :c, updated_at = :t WHERE id = :i",
          soci::use(st), soci::use(closed, closed_ind), soci::use(t), soci::use(issue_id));
}

void SqlIssues::set_spam(std::int64_t id, bool spam, std::int64_t at) {
  long long issue_id = id, v = spam ? 1 : 0, t = at;
  db_.run("UPDATE issue SET spam = :s, updated_at = :t WHERE id = :i", soci::use(v), soci::use(t),
          soci::use(issue_id));
}

void SqlIssues::set_assignee(std::int64_t id, const std::string& email, std::int64_t at) {
  long long issue_id = id, t = at;
  std::string e = email;
  db_.run("UPDATE issue SET assignee = :a, updated_at = :t WHERE id = :i", soci::use(e),
          soci::use(t), soci::use(issue_id));
}

std::int64_t SqlIssues::count_by_author(const std::string& email, std::int64_t since_in) {
  long long since = since_in, n = 0;
  std::string author = email;
  db_.run("SELECT count(*) FROM issue WHERE author_email = :a AND created_at > :s", soci::into(n),
          soci::use(author), soci::use(since));
  return n;
}

void SqlIssues::remember(const std::string& message_id, std::int64_t issue_id) {
  if (message_id.empty()) return;
  std::string m = message_id;
  long long id = issue_id;
  db_.run(
      "INSERT INTO message_ref (message_id, issue_id) VALUES (:m, :i) "
      "ON CONFLICT DO NOTHING",
      soci::use(m), soci::use(id));
}

std::optional<IssueRef> SqlIssues::by_message_id(const std::string& message_id,
                                                 std::int64_t project_id) {
  std::string mid = message_id;
  long long pid = project_id, issue_id = 0, iid = 0;
  std::string path;
  db_.run(
      "SELECT i.id, i.iid, p.path FROM message_ref r JOIN issue i ON i.id = r.issue_id "
      "JOIN project p ON p.id = i.project_id WHERE r.message_id = :m AND i.project_id = :p "
      "ORDER BY i.id DESC LIMIT 1",
      soci::into(issue_id), soci::into(iid), soci::into(path), soci::use(mid), soci::use(pid));
  if (!db_.got_data()) return std::nullopt;
  return IssueRef{issue_id, iid, path};
}

}  // namespace store
