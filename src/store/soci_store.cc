// soci_store.cc: the Store over SOCI. SQLite today (WAL, synchronous=FULL,
// BEGIN IMMEDIATE); the SQL is kept portable so that the PostgreSQL backend
// can reuse it. Only named variables are bound: binding a temporary is a
// use-after-free in SOCI 4.0.
#include <soci/soci.h>

#include <algorithm>
#include <ctime>

#include "schema_sqlite_001.h"
#include "store/store.h"

namespace store {

namespace {

long long now() {
  return static_cast<long long>(std::time(nullptr));
}

// Runs every statement of a schema file (SQLite prepares one at a time).
void exec_script(soci::session& sql, const std::string& script) {
  std::string stmt;
  std::size_t pos = 0;
  while (pos < script.size()) {
    auto end = script.find(";\n", pos);
    if (end == std::string::npos) end = script.size();
    stmt = script.substr(pos, end - pos);
    pos = end + 2;
    // Drop comment lines.
    std::string clean;
    std::size_t lp = 0;
    while (lp < stmt.size()) {
      auto nl = stmt.find('\n', lp);
      std::string line = stmt.substr(lp, nl == std::string::npos ? std::string::npos : nl - lp);
      lp = nl == std::string::npos ? stmt.size() : nl + 1;
      auto first = line.find_first_not_of(" \t");
      if (first != std::string::npos && line.compare(first, 2, "--") == 0) continue;
      clean += line + "\n";
    }
    if (clean.find_first_not_of(" \t\n") == std::string::npos) continue;
    sql << clean;
  }
}

// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails
// half-way on a lock upgrade; the destructor rolls back unless committed.
class Tx {
 public:
  explicit Tx(soci::session& sql) : sql_(sql) { sql_ << "BEGIN IMMEDIATE"; }
  ~Tx() {
    if (!done_) {
      try {
        sql_ << "ROLLBACK";
      } catch (...) {
      }
    }
  }
  void commit() {
    sql_ << "COMMIT";
    done_ = true;
  }

 private:
  soci::session& sql_;
  bool done_ = false;
};

struct Migration {
  int version;
  const char* sql;
};
const Migration kMigrations[] = {{1, kSqlite001}};

class SociStore final : public Store {
 public:
  SociStore(const std::string& conn, std::chrono::milliseconds wait) {
    try {
      sql_.open(conn);
      is_sqlite_ = sql_.get_backend_name() == "sqlite3";
      if (!is_sqlite_) throw Error("only sqlite3 is supported by this build for now");
      long long ms = wait.count();
      sql_ << "PRAGMA busy_timeout = " + std::to_string(ms);
      std::string mode;
      sql_ << "PRAGMA journal_mode = WAL", soci::into(mode);
      if (mode != "wal") throw Error("cannot switch the SQLite database to WAL mode: " + mode);
      // Durability: a 250 promises the mail survives a power cut (RFC 5321 6.1).
      sql_ << "PRAGMA synchronous = FULL";
      sql_ << "PRAGMA foreign_keys = ON";
    } catch (const soci::soci_error& e) {
      throw Unavailable(std::string("cannot open database: ") + e.what());
    }
  }

  int version() override {
    int n = 0;
    sql_ << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
        soci::into(n);
    if (n == 0) return 0;
    long long v = 0;
    soci::indicator ind;
    sql_ << "SELECT max(version) FROM schema_version", soci::into(v, ind);
    return ind == soci::i_ok ? static_cast<int>(v) : 0;
  }

  void init() override {
    if (version() != 0)
      throw Error("the database already has a schema (version " + std::to_string(version()) + ")");
    migrate();
  }

  int migrate() override {
    Tx tx(sql_);
    int v = version();
    if (v > kSchemaVersion)
      throw Error("database schema version " + std::to_string(v) + " is newer than this program (" +
                  std::to_string(kSchemaVersion) + ")");
    for (const auto& m : kMigrations) {
      if (m.version <= v) continue;
      exec_script(sql_, m.sql);
      long long ver = m.version;
      sql_ << "DELETE FROM schema_version";
      sql_ << "INSERT INTO schema_version (version) VALUES (:v)", soci::use(ver);
      v = m.version;
    }
    tx.commit();
    return v;
  }

  std::optional<Target> find_project_key(const std::string& key) override {
    long long id = 0, enabled = 0;
    std::string path;
    std::string k = key;
    sql_ << "SELECT id, path, enabled FROM project WHERE project_key = :k", soci::into(id),
        soci::into(path), soci::into(enabled), soci::use(k);
    if (!sql_.got_data() || !enabled) return std::nullopt;
    Target t;
    t.kind = Target::Kind::project;
    t.project_id = id;
    t.project_path = path;
    return t;
  }

  std::optional<Target> find_alias(const std::string& address) override {
    long long id = 0, enabled = 0;
    std::string path;
    std::string a = address;
    sql_ << "SELECT p.id, p.path, p.enabled FROM project_alias a JOIN project p "
            "ON p.id = a.project_id WHERE a.address = :a",
        soci::into(id), soci::into(path), soci::into(enabled), soci::use(a);
    if (!sql_.got_data() || !enabled) return std::nullopt;
    Target t;
    t.kind = Target::Kind::project;
    t.project_id = id;
    t.project_path = path;
    return t;
  }

  std::optional<Target> find_reply_key(const std::string& key, bool unsubscribe) override {
    long long pid = 0, iid_row = 0, part = 0, iid = 0, enabled = 0;
    std::string path;
    std::string k = key;
    sql_ << "SELECT pa.id, i.id, i.iid, p.id, p.path, p.enabled FROM participant pa "
            "JOIN issue i ON i.id = pa.issue_id JOIN project p ON p.id = i.project_id "
            "WHERE pa.reply_key = :k",
        soci::into(part), soci::into(iid_row), soci::into(iid), soci::into(pid), soci::into(path),
        soci::into(enabled), soci::use(k);
    if (!sql_.got_data() || !enabled) return std::nullopt;
    Target t;
    t.kind = unsubscribe ? Target::Kind::unsubscribe : Target::Kind::reply;
    t.project_id = pid;
    t.issue_id = iid_row;
    t.participant_id = part;
    t.project_path = path;
    t.issue_ref = path + "#" + std::to_string(iid);
    return t;
  }

  Outcome deliver(const Target& target, const Inbound& in) override {
    Tx tx(sql_);
    std::string scope;
    switch (target.kind) {
      case Target::Kind::project:
        scope = "project:" + std::to_string(target.project_id);
        break;
      case Target::Kind::reply:
        scope = "issue:" + std::to_string(target.issue_id);
        break;
      case Target::Kind::unsubscribe:
        scope = "unsubscribe:" + std::to_string(target.participant_id);
        break;
    }
    std::string dkey = in.dedupe_key;
    std::string prior;
    sql_ << "SELECT ref FROM dedupe WHERE scope = :s AND dkey = :k", soci::into(prior),
        soci::use(scope), soci::use(dkey);
    if (sql_.got_data()) return {Outcome::Kind::duplicate, prior};

    long long t = now();
    Outcome out;
    if (target.kind == Target::Kind::unsubscribe) {
      long long part = target.participant_id;
      sql_ << "UPDATE participant SET subscribed = 0 WHERE id = :p", soci::use(part);
      out = {Outcome::Kind::unsubscribed, target.issue_ref};
    } else {
      long long raw_id = store_raw(in, t);
      std::string problems;
      for (const auto& p : in.problems) problems += (problems.empty() ? "" : "\n") + p;
      if (target.kind == Target::Kind::project) {
        out = create_issue(target, in, raw_id, problems, t);
      } else {
        out = add_note(target, in, raw_id, problems, t);
      }
    }
    std::string ref = out.ref;
    sql_ << "INSERT INTO dedupe (scope, dkey, ref, created_at) VALUES (:s, :k, :r, :t)",
        soci::use(scope), soci::use(dkey), soci::use(ref), soci::use(t);
    tx.commit();
    return out;
  }

  Project add_project(const std::string& path, const std::string& name, const std::string& key,
                      const std::vector<std::string>& aliases) override {
    Tx tx(sql_);
    int n = 0;
    std::string p = path, nm = name, k = key;
    sql_ << "SELECT count(*) FROM project WHERE path = :p OR project_key = :k", soci::into(n),
        soci::use(p), soci::use(k);
    if (n) throw Error("a project with path " + path + " or key " + key + " already exists");
    long long t = now();
    long long id = 0;
    sql_ << "INSERT INTO project (path, name, project_key, created_at) VALUES (:p, :n, :k, :t) "
            "RETURNING id",
        soci::use(p), soci::use(nm), soci::use(k), soci::use(t), soci::into(id);
    for (const auto& alias : aliases) {
      std::string a = alias;
      int used = 0;
      sql_ << "SELECT count(*) FROM project_alias WHERE address = :a", soci::into(used),
          soci::use(a);
      if (used) throw Error("alias " + alias + " already belongs to a project");
      sql_ << "INSERT INTO project_alias (address, project_id) VALUES (:a, :id)", soci::use(a),
          soci::use(id);
    }
    tx.commit();
    Project pr;
    pr.id = id;
    pr.path = path;
    pr.name = name;
    pr.key = key;
    pr.aliases = aliases;
    return pr;
  }

  std::vector<Project> list_projects() override {
    std::vector<Project> out;
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT p.id, p.path, p.name, p.project_key, p.enabled, "
                         "(SELECT count(*) FROM issue i WHERE i.project_id = p.id) "
                         "FROM project p ORDER BY p.path");
    for (const auto& r : rs) {
      Project p;
      p.id = get_int(r, 0);
      p.path = r.get<std::string>(1);
      p.name = r.get<std::string>(2);
      p.key = r.get<std::string>(3);
      p.enabled = get_int(r, 4) != 0;
      p.issues = get_int(r, 5);
      out.push_back(std::move(p));
    }
    for (auto& p : out) {
      long long id = p.id;
      std::vector<std::string> aliases(100);
      soci::statement st = (sql_.prepare << "SELECT address FROM project_alias WHERE "
                                            "project_id = :id ORDER BY address",
                            soci::into(aliases), soci::use(id));
      st.execute();
      while (st.fetch()) {
        for (auto& a : aliases) p.aliases.push_back(a);
        aliases.resize(100);
      }
    }
    return out;
  }

  std::vector<IssueSummary> list_issues(const IssueFilter& f) override {
    std::string q =
        "SELECT p.path, i.iid, i.title, i.state, i.author_email, i.spam, i.created_at, "
        "i.updated_at FROM issue i JOIN project p ON p.id = i.project_id WHERE 1 = 1";
    std::string project = f.project.value_or(""), state = f.state.value_or("");
    if (f.project) q += " AND p.path = :project";
    if (f.state) q += " AND i.state = :state";
    if (!f.include_spam) q += " AND i.spam = 0";
    q += " ORDER BY i.id";
    if (f.limit) q += " LIMIT " + std::to_string(*f.limit);
    soci::statement st(sql_);
    soci::row r;
    st.alloc();
    st.exchange(soci::into(r));
    if (f.project) st.exchange(soci::use(project, "project"));
    if (f.state) st.exchange(soci::use(state, "state"));
    st.prepare(q);
    st.define_and_bind();
    st.execute(false);
    std::vector<IssueSummary> out;
    while (st.fetch()) {
      IssueSummary s;
      s.project = r.get<std::string>(0);
      s.iid = get_int(r, 1);
      s.ref = s.project + "#" + std::to_string(s.iid);
      s.title = r.get<std::string>(2);
      s.state = r.get<std::string>(3);
      s.author = r.get<std::string>(4);
      s.spam = get_int(r, 5) != 0;
      s.created_at = get_int(r, 6);
      s.updated_at = get_int(r, 7);
      out.push_back(std::move(s));
    }
    return out;
  }

  std::optional<IssueDetail> show_issue(const std::string& ref) override {
    auto pr = parse_ref(ref);
    if (!pr) throw Error("not an issue reference: " + ref + " (expected group/project#N)");
    std::string path = pr->first;
    long long iid = pr->second;
    long long id = 0, spam = 0, created = 0, updated = 0;
    IssueDetail d;
    sql_ << "SELECT i.id, i.title, i.state, i.author_email, i.spam, i.created_at, i.updated_at, "
            "i.description FROM issue i JOIN project p ON p.id = i.project_id "
            "WHERE p.path = :p AND i.iid = :n",
        soci::into(id), soci::into(d.summary.title), soci::into(d.summary.state),
        soci::into(d.summary.author), soci::into(spam), soci::into(created), soci::into(updated),
        soci::into(d.description), soci::use(path), soci::use(iid);
    if (!sql_.got_data()) return std::nullopt;
    d.summary.project = path;
    d.summary.iid = iid;
    d.summary.ref = path + "#" + std::to_string(iid);
    d.summary.spam = spam != 0;
    d.summary.created_at = created;
    d.summary.updated_at = updated;
    {
      soci::rowset<soci::row> rs =
          (sql_.prepare << "SELECT author_kind, author, body, internal, created_at FROM note "
                           "WHERE issue_id = :id ORDER BY id",
           soci::use(id));
      for (const auto& r : rs) {
        NoteView n;
        n.author_kind = r.get<std::string>(0);
        n.author = r.get<std::string>(1);
        n.body = r.get<std::string>(2);
        n.internal = get_int(r, 3) != 0;
        n.created_at = get_int(r, 4);
        d.notes.push_back(std::move(n));
      }
    }
    {
      soci::rowset<soci::row> rs =
          (sql_.prepare << "SELECT filename, content_type, size, sha256 FROM attachment "
                           "WHERE issue_id = :id ORDER BY id",
           soci::use(id));
      for (const auto& r : rs) {
        AttachmentView a;
        a.filename = r.get<std::string>(0);
        a.content_type = r.get<std::string>(1);
        a.size = get_int(r, 2);
        a.sha256 = r.get<std::string>(3);
        d.attachments.push_back(std::move(a));
      }
    }
    {
      soci::rowset<soci::row> rs =
          (sql_.prepare << "SELECT email, reply_key, subscribed FROM participant "
                           "WHERE issue_id = :id ORDER BY id",
           soci::use(id));
      for (const auto& r : rs) {
        ParticipantView p;
        p.email = r.get<std::string>(0);
        p.reply_key = r.get<std::string>(1);
        p.subscribed = get_int(r, 2) != 0;
        d.participants.push_back(std::move(p));
      }
    }
    return d;
  }

 private:
  static std::int64_t get_int(const soci::row& r, std::size_t i) {
    switch (r.get_properties(i).get_data_type()) {
      case soci::dt_integer:
        return r.get<int>(i);
      case soci::dt_long_long:
        return r.get<long long>(i);
      case soci::dt_unsigned_long_long:
        return static_cast<std::int64_t>(r.get<unsigned long long>(i));
      case soci::dt_double:
        return static_cast<std::int64_t>(r.get<double>(i));
      default:
        return std::stoll(r.get<std::string>(i));
    }
  }

  long long store_raw(const Inbound& in, long long t) {
    if (!in.raw) return 0;
    std::string sha = in.raw_sha256, from = in.mail_from;
    const std::string& content = *in.raw;
    long long size = static_cast<long long>(content.size());
    sql_ << "INSERT INTO raw_message (sha256, mail_from, size, content, received_at) "
            "VALUES (:h, :f, :s, :c, :t) ON CONFLICT (sha256) DO NOTHING",
        soci::use(sha), soci::use(from), soci::use(size), soci::use(content), soci::use(t);
    long long id = 0;
    sql_ << "SELECT id FROM raw_message WHERE sha256 = :h", soci::into(id), soci::use(sha);
    return id;
  }

  void store_attachments(const Inbound& in, long long issue_id, long long note_id, bool with_note) {
    for (const auto& a : in.attachments) {
      std::string sent = a.filename_sent, fn = a.filename, ct = a.content_type, sha = a.sha256;
      long long size = static_cast<long long>(a.content.size());
      soci::indicator note_ind = with_note ? soci::i_ok : soci::i_null;
      sql_ << "INSERT INTO attachment (issue_id, note_id, filename_sent, filename, content_type, "
              "size, sha256, content) VALUES (:i, :n, :fs, :f, :ct, :s, :h, :c)",
          soci::use(issue_id), soci::use(note_id, note_ind), soci::use(sent), soci::use(fn),
          soci::use(ct), soci::use(size), soci::use(sha), soci::use(a.content);
    }
  }

  void remember_message_id(const std::string& mid, long long issue_id) {
    if (mid.empty()) return;
    std::string m = mid;
    sql_ << "INSERT INTO message_ref (message_id, issue_id) VALUES (:m, :i) "
            "ON CONFLICT DO NOTHING",
        soci::use(m), soci::use(issue_id);
  }

  Outcome create_issue(const Target& target, const Inbound& in, long long raw_id,
                       const std::string& problems, long long t) {
    long long pid = target.project_id;
    // The per-project number: the write lock is held (BEGIN IMMEDIATE), and
    // UNIQUE (project_id, iid) guards against any other writer.
    sql_ << "UPDATE project SET last_iid = last_iid + 1 WHERE id = :p", soci::use(pid);
    long long iid = 0;
    std::string path;
    sql_ << "SELECT last_iid, path FROM project WHERE id = :p", soci::into(iid), soci::into(path),
        soci::use(pid);
    if (!sql_.got_data()) throw Error("project vanished during delivery");
    std::string title = in.title, body = in.body, email = in.author_email, name = in.author_name,
                mid = in.message_id, probs = problems;
    soci::indicator raw_ind = raw_id ? soci::i_ok : soci::i_null;
    long long issue_id = 0;
    sql_ << "INSERT INTO issue (project_id, iid, title, description, author_email, author_name, "
            "message_id, raw_message_id, problems, created_at, updated_at) VALUES "
            "(:p, :iid, :title, :body, :email, :name, :mid, :raw, :probs, :t, :t2) RETURNING id",
        soci::use(pid), soci::use(iid), soci::use(title), soci::use(body), soci::use(email),
        soci::use(name), soci::use(mid), soci::use(raw_id, raw_ind), soci::use(probs), soci::use(t),
        soci::use(t), soci::into(issue_id);
    std::string contact = in.contact_email.empty() ? in.author_email : in.contact_email;
    if (!contact.empty()) {
      std::string key = random_key();
      std::string role = "customer";
      sql_ << "INSERT INTO participant (issue_id, email, name, role, reply_key, created_at) "
              "VALUES (:i, :e, :n, :r, :k, :t)",
          soci::use(issue_id), soci::use(contact), soci::use(name), soci::use(role), soci::use(key),
          soci::use(t);
    }
    store_attachments(in, issue_id, 0, false);
    remember_message_id(in.message_id, issue_id);
    return {Outcome::Kind::created, path + "#" + std::to_string(iid)};
  }

  Outcome add_note(const Target& target, const Inbound& in, long long raw_id,
                   const std::string& problems, long long t) {
    long long issue_id = target.issue_id, part = target.participant_id;
    std::string kind = "customer";
    std::string author = in.author_email.empty() ? in.mail_from : in.author_email;
    std::string body = in.body, mid = in.message_id, probs = problems;
    soci::indicator raw_ind = raw_id ? soci::i_ok : soci::i_null;
    long long note_id = 0;
    sql_ << "INSERT INTO note (issue_id, author_kind, author, participant_id, body, message_id, "
            "raw_message_id, problems, created_at) VALUES (:i, :k, :a, :p, :b, :m, :r, :pr, :t) "
            "RETURNING id",
        soci::use(issue_id), soci::use(kind), soci::use(author), soci::use(part), soci::use(body),
        soci::use(mid), soci::use(raw_id, raw_ind), soci::use(probs), soci::use(t),
        soci::into(note_id);
    sql_ << "UPDATE issue SET updated_at = :t WHERE id = :i", soci::use(t), soci::use(issue_id);
    store_attachments(in, issue_id, note_id, true);
    remember_message_id(in.message_id, issue_id);
    return {Outcome::Kind::noted, target.issue_ref};
  }

  soci::session sql_;
  bool is_sqlite_ = true;
};

}  // namespace

std::unique_ptr<Store> open(const std::string& connection, std::chrono::milliseconds wait) {
  return std::make_unique<SociStore>(connection, wait);
}

}  // namespace store
