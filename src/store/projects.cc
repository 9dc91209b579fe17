// projects.cc: projects, their aliases, members and templates; and what a
// recipient address leads to (RCPT lookups).
#include "store/sql_repos.h"

namespace store {

std::optional<std::pair<std::int64_t, ProjectInfo>> SqlProjects::next_iid(std::int64_t project_id) {
  // The UPDATE locks the project row (SQLite: the write lock of BEGIN
  // IMMEDIATE) until COMMIT. UNIQUE (project_id, iid) guards against
  // anything else. It also returns what the mails need of the project.
  long long pid = project_id, iid = 0, conf = 1, notify = 0, reopen = 1, cc = 0, disclose = 0;
  ProjectInfo p;
  db_.run(
      "UPDATE project SET last_iid = last_iid + 1 WHERE id = :p RETURNING last_iid, path, name, "
      "confirmation, notify_members, reopen_on_reply, cc_participants, disclose_fixes",
      soci::use(pid), soci::into(iid), soci::into(p.path), soci::into(p.name), soci::into(conf),
      soci::into(notify), soci::into(reopen), soci::into(cc), soci::into(disclose));
  if (!db_.got_data()) return std::nullopt;
  p.id = project_id;
  p.settings = {conf != 0, notify != 0, reopen != 0, cc != 0, disclose != 0};
  return std::make_pair(std::int64_t{iid}, std::move(p));
}

std::vector<std::string> SqlProjects::members(std::int64_t project_id) {
  std::vector<std::string> out;
  long long pid = project_id;
  std::string email;
  db_.each(
      "SELECT email FROM project_member WHERE project_id = :p ORDER BY email",
      [&] { out.push_back(email); }, soci::use(pid), soci::into(email));
  return out;
}

std::vector<std::string> SqlProjects::member_paths(const std::string& email_in) {
  std::vector<std::string> out;
  std::string email = email_in, path;
  db_.each(
      "SELECT p.path FROM project p JOIN project_member m ON m.project_id = p.id WHERE m.email = "
      ":e AND p.enabled = 1 ORDER BY p.path",
      [&] { out.push_back(path); }, soci::use(email), soci::into(path));
  return out;
}

Template SqlProjects::template_for(std::int64_t project_id, MailKind kind) {
  Template t;
  long long pid = project_id;
  std::string k = mail_kind_name(kind);
  db_.run("SELECT subject, body FROM project_template WHERE project_id = :p AND kind = :k",
          soci::into(t.subject), soci::into(t.body), soci::use(pid), soci::use(k));
  if (!db_.got_data()) return {};
  return t;
}

std::optional<std::int64_t> SqlProjects::id_of(const std::string& path) {
  std::string p = path;
  long long id = 0;
  db_.run("SELECT id FROM project WHERE path = :p", soci::into(id), soci::use(p));
  if (!db_.got_data()) return std::nullopt;
  return id;
}

Project SqlProjects::add(const std::string& path, const std::string& name, const std::string& key,
                         const std::vector<std::string>& aliases) {
  int n = 0;
  std::string p = clean_text(path), nm = clean_text(name), k = clean_text(key);
  db_.run("SELECT count(*) FROM project WHERE path = :p OR project_key = :k", soci::into(n),
          soci::use(p), soci::use(k));
  if (n) throw Error("a project with path " + path + " or key " + key + " already exists");
  long long t = now();
  long long id = 0;
  db_.run(
      "INSERT INTO project (path, name, project_key, created_at) VALUES (:p, :n, :k, :t) "
      "RETURNING id",
      soci::use(p), soci::use(nm), soci::use(k), soci::use(t), soci::into(id));
  for (const auto& alias : aliases) {
    std::string a = clean_text(alias);
    int used = 0;
    db_.run("SELECT count(*) FROM project_alias WHERE address = :a", soci::into(used),
            soci::use(a));
    if (used) throw Error("alias " + alias + " already belongs to a project");
    db_.run("INSERT INTO project_alias (address, project_id) VALUES (:a, :id)", soci::use(a),
            soci::use(id));
  }
  Project pr;
  pr.id = id;
  pr.path = path;
  pr.name = name;
  pr.key = key;
  pr.aliases = aliases;
  return pr;
}

std::vector<Project> SqlProjects::list() {
  std::vector<Project> out;
  Project p;
  long long id = 0, enabled = 0, issues = 0, conf = 0, notify = 0, reopen = 0, cc = 0, disclose = 0;
  db_.each(
      "SELECT p.id, p.path, p.name, p.project_key, p.enabled, "
      "(SELECT COALESCE(SUM(t.n), 0) FROM issue_tally t WHERE t.project_id = p.id), "
      "p.confirmation, p.notify_members, p.reopen_on_reply, p.cc_participants, p.disclose_fixes "
      "FROM project p ORDER BY p.path",
      [&] {
        p.id = id;
        p.enabled = enabled != 0;
        p.issues = issues;
        p.confirmation = conf != 0;
        p.notify_members = notify != 0;
        p.reopen_on_reply = reopen != 0;
        p.cc_participants = cc != 0;
        p.disclose_fixes = disclose != 0;
        out.push_back(p);
      },
      soci::into(id), soci::into(p.path), soci::into(p.name), soci::into(p.key),
      soci::into(enabled), soci::into(issues), soci::into(conf), soci::into(notify),
      soci::into(reopen), soci::into(cc), soci::into(disclose));
  for (auto& pr : out) {
    pr.members = members(pr.id);
    for (const auto& m : pr.members) pr.muted.push_back(m);
    for (const auto& m : notified_members(pr.id)) std::erase(pr.muted, m);
    long long pid = pr.id;
    std::string alias;
    db_.each(
        "SELECT address FROM project_alias WHERE project_id = :id ORDER BY address",
        [&] { pr.aliases.push_back(alias); }, soci::use(pid), soci::into(alias));
  }
  return out;
}

void SqlProjects::set_flag(std::int64_t project_id, const std::string& flag, bool on) {
  // The flag names a column: only these.
  static const char* const kFlags[] = {"confirmation", "notify_members", "reopen_on_reply",
                                       "cc_participants", "disclose_fixes"};
  for (const char* f : kFlags) {
    if (flag != f) continue;
    long long id = project_id, v = on ? 1 : 0;
    db_.run("UPDATE project SET " + flag + " = :v WHERE id = :i", soci::use(v), soci::use(id));
    return;
  }
  throw Error("unknown project setting " + flag);
}

void SqlProjects::add_member(std::int64_t project_id, const std::string& email) {
  long long id = project_id;
  std::string e = email;
  db_.run("INSERT INTO project_member (project_id, email) VALUES (:p, :e) ON CONFLICT DO NOTHING",
          soci::use(id), soci::use(e));
}

bool SqlProjects::remove_member(std::int64_t project_id, const std::string& email) {
  long long id = project_id;
  std::string e = email;
  int n = 0;
  db_.run("SELECT count(*) FROM project_member WHERE project_id = :p AND email = :e", soci::into(n),
          soci::use(id), soci::use(e));
  db_.run("DELETE FROM project_member WHERE project_id = :p AND email = :e", soci::use(id),
          soci::use(e));
  return n > 0;
}

void SqlProjects::set_template(std::int64_t project_id, MailKind kind, const std::string& subject,
                               const std::string& body) {
  long long id = project_id;
  std::string k = mail_kind_name(kind), sub = clean_text(subject), b = clean_text(body);
  db_.run("DELETE FROM project_template WHERE project_id = :p AND kind = :k", soci::use(id),
          soci::use(k));
  if (!subject.empty() || !body.empty())
    db_.run(
        "INSERT INTO project_template (project_id, kind, subject, body) VALUES (:p, :k, :s, :b)",
        soci::use(id), soci::use(k), soci::use(sub), soci::use(b));
}

bool SqlProjects::set_member_notify(std::int64_t project_id, const std::string& email, bool on) {
  long long id = project_id, v = on ? 1 : 0;
  std::string e = email;
  int n = 0;
  db_.run("SELECT count(*) FROM project_member WHERE project_id = :p AND email = :e", soci::into(n),
          soci::use(id), soci::use(e));
  if (!n) return false;
  db_.run("UPDATE project_member SET notify = :v WHERE project_id = :p AND email = :e",
          soci::use(v), soci::use(id), soci::use(e));
  return true;
}

std::vector<std::string> SqlProjects::notified_members(std::int64_t project_id) {
  std::vector<std::string> out;
  long long pid = project_id;
  std::string email;
  db_.each(
      "SELECT email FROM project_member WHERE project_id = :p AND notify = 1 ORDER BY email",
      [&] { out.push_back(email); }, soci::use(pid), soci::into(email));
  return out;
}

namespace {

// The project that `query` (id, path, enabled; one parameter, `value`)
// finds, when it takes mail.
std::optional<Target> enabled_project(Db& db, const char* query, const std::string& value) {
  long long id = 0, enabled = 0;
  std::string path;
  std::string v = value;
  db.run(query, soci::into(id), soci::into(path), soci::into(enabled), soci::use(v));
  if (!db.got_data() || !enabled) return std::nullopt;
  Target t;
  t.kind = Target::Kind::project;
  t.project_id = id;
  t.project_path = path;
  return t;
}

}  // namespace

std::optional<Target> SqlAddresses::project_key(const std::string& key) {
  return enabled_project(db_, "SELECT id, path, enabled FROM project WHERE project_key = :k", key);
}

std::optional<Target> SqlAddresses::alias(const std::string& address) {
  return enabled_project(db_,
                         "SELECT p.id, p.path, p.enabled FROM project_alias a JOIN project p "
                         "ON p.id = a.project_id WHERE a.address = :a",
                         address);
}

std::optional<Target> SqlAddresses::reply_key(const std::string& key, bool unsubscribe) {
  long long pid = 0, iid_row = 0, part = 0, iid = 0, enabled = 0;
  std::string path;
  std::string k = key;
  db_.run(
      "SELECT pa.id, i.id, i.iid, p.id, p.path, p.enabled FROM participant pa "
      "JOIN issue i ON i.id = pa.issue_id JOIN project p ON p.id = i.project_id "
      "WHERE pa.reply_key = :k",
      soci::into(part), soci::into(iid_row), soci::into(iid), soci::into(pid), soci::into(path),
      soci::into(enabled), soci::use(k));
  if (!db_.got_data() || !enabled) return std::nullopt;
  Target t;
  t.kind = unsubscribe ? Target::Kind::unsubscribe : Target::Kind::reply;
  t.project_id = pid;
  t.issue_id = iid_row;
  t.participant_id = part;
  t.project_path = path;
  t.issue_ref = path + "#" + std::to_string(iid);
  return t;
}

}  // namespace store
