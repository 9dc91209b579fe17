// soci_store.cc: the Store over SOCI, for SQLite (WAL, synchronous=FULL,
// BEGIN IMMEDIATE) and PostgreSQL (READ COMMITTED, row locks, bytea as hex).
// One SQL text serves both; the few dialect differences are named below.
// Only named variables are bound: binding a temporary is a use-after-free in
// SOCI 4.0.
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>

#include "common/fault.h"
#include "schema_postgresql_001.h"
#include "schema_postgresql_002.h"
#include "schema_postgresql_003.h"
#include "schema_postgresql_004.h"
#include "schema_postgresql_005.h"
#include "schema_sqlite_001.h"
#include "schema_sqlite_002.h"
#include "schema_sqlite_003.h"
#include "schema_sqlite_004.h"
#include "schema_sqlite_005.h"
#include "store/connection.h"
#include "store/statements.h"
#include "store/wal_vfs.h"

namespace store {

namespace {

// Calls `f` on every text field of an Inbound.
template <class In, class F>
void each_text(In& in, F f) {
  for (auto* v :
       {&in.dedupe_key, &in.mail_from, &in.author_email, &in.author_name, &in.contact_email,
        &in.title, &in.body, &in.message_id, &in.full_body, &in.spam_reason})
    f(*v);
  for (auto& v : in.thread_ids) f(v);
  for (auto& v : in.problems) f(v);
  for (auto& a : in.attachments) {
    f(a.filename_sent);
    f(a.filename);
    f(a.content_type);
    f(a.sha256);
  }
}

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

// A failure before the first statement of a transaction reached the server:
// safe to reconnect and start again.
class NothingSent : public std::runtime_error {
 public:
  NothingSent(const std::string& what, Fault f) : std::runtime_error(what), fault(f) {}
  Fault fault;
};

// SQLite: BEGIN IMMEDIATE takes the write lock up front, so a transaction
// never fails half-way on a lock upgrade. PostgreSQL: READ COMMITTED; the
// rows that must be serialised are locked by the statements themselves. The
// destructor rolls back unless committed.
class Tx {
 public:
  // `nested`: inside a group commit (begin_batch), a savepoint.
  Tx(Statements& st, soci::session& sql, Dialect d, bool nested)
      : st_(st), sql_(sql), nested_(nested) {
    try {
      st_.run(nested ? "SAVEPOINT tx" : d == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    } catch (const soci::soci_error& e) {
      if (nested) throw;
      throw NothingSent(e.what(), classify(e, sql_));
    }
  }
  ~Tx() {
    if (!done_) {
      try {
        st_.run(nested_ ? "ROLLBACK TO tx" : "ROLLBACK");
        if (nested_) st_.run("RELEASE tx");
      } catch (...) {
      }
    }
  }
  void commit() {
    st_.run(nested_ ? "RELEASE tx" : "COMMIT");
    done_ = true;
  }
  bool nested() const { return nested_; }

 private:
  Statements& st_;
  soci::session& sql_;
  bool nested_;
  bool done_ = false;
};

struct Migration {
  int version;
  const char* sql;
};
const Migration kSqliteMigrations[] = {
    {1, kSqlite001}, {2, kSqlite002}, {3, kSqlite003}, {4, kSqlite004}, {5, kSqlite005}};
const Migration kPgMigrations[] = {{1, kPg001}, {2, kPg002}, {3, kPg003}, {4, kPg004}, {5, kPg005}};

class SociStore final : public Connection {
 public:
  SociStore(const std::string& conn, std::chrono::milliseconds wait)
      : dialect_(dialect_of(conn)), conn_(connection_string(conn, wait)), wait_(wait) {
    // SOCI's SQLite backend takes synchronous= in the connection string.
    if (dialect_ == Dialect::sqlite && conn_.find("synchronous=") != std::string::npos &&
        conn_.find("synchronous=full") == std::string::npos &&
        conn_.find("synchronous=extra") == std::string::npos)
      throw Error(
          "the database connection string lowers SQLite's synchronous setting: "
          "deskmail refuses a store that can lose acknowledged mail");
    if (dialect_ == Dialect::sqlite) install_wal_write_coalescing();
    connect();
  }

  Dialect dialect() const override { return dialect_; }
  soci::session& session() override { return sql_; }

  void connect() {
    try {
      stmts_.clear();  // prepared on the old connection
      sql_.open(conn_);
      configure();
    } catch (const soci::soci_error& e) {
      throw Unavailable(std::string("cannot open database: ") + e.what());
    }
  }

  void reconnect_if_broken() {
    if (!broken_) return;
    stmts_.clear();
    try {
      sql_.close();
    } catch (...) {
    }
    connect();
    broken_ = false;
  }

  // Durability first: a 250 promises the mail survives a power cut (RFC 5321
  // section 6.1), and every wait is bounded by `wait`.
  void configure() {
    std::string ms = std::to_string(wait_.count());
    if (dialect_ == Dialect::sqlite) {
      sql_ << "PRAGMA busy_timeout = " + ms;
      std::string mode;
      sql_ << "PRAGMA journal_mode = WAL", soci::into(mode);
      if (mode != "wal") throw Error("cannot switch the SQLite database to WAL mode: " + mode);
      sql_ << "PRAGMA synchronous = FULL";
      int sync = 0;
      sql_ << "PRAGMA synchronous", soci::into(sync);
      if (sync < 2)  // 2 = FULL, 3 = EXTRA
        throw Error("SQLite runs with synchronous=" + std::to_string(sync) +
                    ": deskmail refuses a store that can lose acknowledged mail");
      sql_ << "PRAGMA foreign_keys = ON";
      // Savepoints (one per delivery in a group commit) keep their undo
      // journal in memory, not in a temporary file opened and unlinked each
      // time (strace: an open, access and unlink per delivery).
      sql_ << "PRAGMA temp_store = MEMORY";
      if (manual_checkpoints_) sql_ << "PRAGMA wal_autocheckpoint = 0";
      return;
    }
    std::string fsync;
    sql_ << "SHOW fsync", soci::into(fsync);
    if (fsync != "on")
      throw Error("the PostgreSQL server runs with fsync = " + fsync +
                  ": deskmail refuses a store that can lose acknowledged mail");
    sql_ << "SET synchronous_commit = on";
    sql_ << "SET client_min_messages = warning";
    sql_ << "SET client_encoding = 'UTF8'";
    sql_ << "SET statement_timeout = " + ms;
    sql_ << "SET lock_timeout = " + ms;
    // A transaction left open by a stuck client must not hold row locks forever.
    sql_ << "SET idle_in_transaction_session_timeout = " +
                std::to_string(std::max<long long>(60000, 6 * wait_.count()));
  }

  void guarded(bool read_only, const std::function<void()>& f) override {
    for (int attempt = 1;; ++attempt) {
      reconnect_if_broken();
      try {
        f();
        return;
      } catch (const NothingSent& e) {
        if (e.fault == Fault::connection) broken_ = true;
        if (e.fault == Fault::connection && attempt < 3) continue;
        throw Unavailable(std::string("database: ") + e.what());
      } catch (const soci::soci_error& e) {
        Fault fault = classify(e, sql_);
        if (fault == Fault::connection) {
          broken_ = true;
          if (read_only && attempt < 3) continue;
        }
        if (fault == Fault::conflict && attempt < kConflictRetries) continue;
        if (fault != Fault::other) throw Unavailable(std::string("database: ") + e.what());
        throw;
      }
    }
  }

  int version() override {
    int n = 0;
    if (dialect_ == Dialect::sqlite)
      sql_ << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
              "'schema_version'",
          soci::into(n);
    else
      sql_ << "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
              "current_schema() AND table_name = 'schema_version'",
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
    // SQLite: a migration that rebuilds a table (005) must not check foreign
    // keys half-way; the switch only works outside a transaction. They are
    // checked as a whole before the COMMIT instead.
    bool sqlite = dialect_ == Dialect::sqlite;
    if (sqlite) sql_ << "PRAGMA foreign_keys = OFF";
    struct KeysBackOn {
      soci::session& sql;
      bool on;
      ~KeysBackOn() {
        try {
          if (on) sql << "PRAGMA foreign_keys = ON";
        } catch (...) {
        }
      }
    } back_on{sql_, sqlite};
    stmts_.clear();  // a rebuilt table: statements prepared against the old one
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    // Several hosts may run 'db migrate' at once: one waits for the other.
    if (dialect_ == Dialect::postgresql) sql_ << "SELECT pg_advisory_xact_lock(20331)";
    int v = version();
    if (v > kSchemaVersion)
      throw Error("database schema version " + std::to_string(v) + " is newer than this program (" +
                  std::to_string(kSchemaVersion) + ")");
    for (const auto& m : dialect_ == Dialect::sqlite ? kSqliteMigrations : kPgMigrations) {
      if (m.version <= v) continue;
      exec_script(sql_, m.sql);
      long long ver = m.version;
      sql_ << "DELETE FROM schema_version";
      sql_ << "INSERT INTO schema_version (version) VALUES (:v)", soci::use(ver);
      v = m.version;
    }
    if (sqlite) {
      int broken = 0;
      soci::rowset<soci::row> fk = sql_.prepare << "PRAGMA foreign_key_check";
      for (auto it = fk.begin(); it != fk.end(); ++it) ++broken;
      if (broken)
        throw Error("the migration would break " + std::to_string(broken) +
                    " foreign key references; nothing changed");
    }
    tx.commit();
    return v;
  }

  std::optional<Target> find_project_key(const std::string& key) override {
    long long id = 0, enabled = 0;
    std::string path;
    std::string k = key;
    stmts_.run("SELECT id, path, enabled FROM project WHERE project_key = :k", soci::into(id),
               soci::into(path), soci::into(enabled), soci::use(k));
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
    stmts_.run(
        "SELECT p.id, p.path, p.enabled FROM project_alias a JOIN project p "
        "ON p.id = a.project_id WHERE a.address = :a",
        soci::into(id), soci::into(path), soci::into(enabled), soci::use(a));
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
    stmts_.run(
        "SELECT pa.id, i.id, i.iid, p.id, p.path, p.enabled FROM participant pa "
        "JOIN issue i ON i.id = pa.issue_id JOIN project p ON p.id = i.project_id "
        "WHERE pa.reply_key = :k",
        soci::into(part), soci::into(iid_row), soci::into(iid), soci::into(pid), soci::into(path),
        soci::into(enabled), soci::use(k));
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

  Outcome deliver(const Target& target_in, const Inbound& in_, Composer* composer) override {
    queued_ = 0;
    // Text columns hold valid UTF-8 without NUL (PostgreSQL refuses anything
    // else). The parser already repairs what it decodes; this catches the rest
    // (the envelope sender, a Message-ID with raw 8-bit bytes).
    bool clean = true;
    each_text(in_, [&](const std::string& v) { clean = clean && is_clean_text(v); });
    std::optional<Inbound> repaired;
    if (!clean) {
      repaired = in_;
      each_text(*repaired, [](std::string& v) { v = clean_text(v); });
    }
    const Inbound& in = repaired ? *repaired : in_;
    Outcome out = deliver_tx(target_in, in, composer);
    out.mails = queued_;
    return out;
  }

  Outcome deliver_tx(const Target& target_in, const Inbound& in, Composer* composer) {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    Target target = target_in;
    // A mail to a project address that answers one of our (or a received)
    // Message-IDs is a reply on that issue (DESIGN.md section 4).
    if (target.kind == Target::Kind::project && !in.thread_ids.empty()) {
      if (auto t = thread_target(target.project_id, in)) target = *t;
    }
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
    long long t = now();
    // The dedupe row first: a second instance delivering the same message
    // waits on its key until this transaction ends, then finds it.
    std::string pending_ref;
    long long claimed = 0;
    soci::indicator claimed_ind = soci::i_null;
    stmts_.run(
        "INSERT INTO dedupe (scope, dkey, ref, created_at) VALUES (:s, :k, :r, :t) "
        "ON CONFLICT (scope, dkey) DO NOTHING RETURNING 1",
        soci::use(scope), soci::use(dkey), soci::use(pending_ref), soci::use(t),
        soci::into(claimed, claimed_ind));
    if (!sql_.got_data() || claimed_ind != soci::i_ok) {
      std::string prior;
      stmts_.run("SELECT ref FROM dedupe WHERE scope = :s AND dkey = :k", soci::into(prior),
                 soci::use(scope), soci::use(dkey));
      return {Outcome::Kind::duplicate, prior};
    }

    Outcome out;
    if (in.bounce && target.kind != Target::Kind::project) {
      // A delivery status notification to a reply address: the mail we sent
      // that participant bounced. Recorded on the participant, not a note.
      long long part = target.participant_id;
      if (part) {
        stmts_.run("UPDATE participant SET bouncing = 1, bounces = bounces + 1 WHERE id = :p",
                   soci::use(part));
      }
      std::string ref = target.issue_ref;
      stmts_.run("UPDATE dedupe SET ref = :r WHERE scope = :s AND dkey = :k", soci::use(ref),
                 soci::use(scope), soci::use(dkey));
      tx.commit();
      return {Outcome::Kind::bounce, target.issue_ref};
    }
    if (target.kind == Target::Kind::project && in.new_issues_per_sender_hour > 0 &&
        !in.author_email.empty()) {
      long long since = t - 3600, n = 0;
      std::string author = in.author_email;
      stmts_.run("SELECT count(*) FROM issue WHERE author_email = :a AND created_at > :s",
                 soci::into(n), soci::use(author), soci::use(since));
      if (n >= static_cast<long long>(in.new_issues_per_sender_hour))
        return {Outcome::Kind::rate_limited, ""};
    }
    if (target.kind == Target::Kind::unsubscribe) {
      long long part = target.participant_id;
      stmts_.run("UPDATE participant SET subscribed = 0 WHERE id = :p", soci::use(part));
      out = {Outcome::Kind::unsubscribed, target.issue_ref};
    } else {
      long long raw_id = store_raw(in, t);
      std::string problems;
      for (const auto& p : in.problems) problems += (problems.empty() ? "" : "\n") + p;
      if (target.kind == Target::Kind::project) {
        out = create_issue(target, in, raw_id, problems, t, composer);
      } else {
        out = add_inbound_note(target, in, raw_id, problems, t, composer);
      }
    }
    std::string ref = out.ref;
    stmts_.run("UPDATE dedupe SET ref = :r WHERE scope = :s AND dkey = :k", soci::use(ref),
               soci::use(scope), soci::use(dkey));
    if (!tx.nested()) common::fault_point("before_commit");
    tx.commit();
    if (!tx.nested()) common::fault_point("after_commit");
    return out;
  }

  Project add_project(const std::string& path, const std::string& name, const std::string& key,
                      const std::vector<std::string>& aliases) override {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    int n = 0;
    std::string p = clean_text(path), nm = clean_text(name), k = clean_text(key);
    stmts_.run("SELECT count(*) FROM project WHERE path = :p OR project_key = :k", soci::into(n),
               soci::use(p), soci::use(k));
    if (n) throw Error("a project with path " + path + " or key " + key + " already exists");
    long long t = now();
    long long id = 0;
    stmts_.run(
        "INSERT INTO project (path, name, project_key, created_at) VALUES (:p, :n, :k, :t) "
        "RETURNING id",
        soci::use(p), soci::use(nm), soci::use(k), soci::use(t), soci::into(id));
    for (const auto& alias : aliases) {
      std::string a = clean_text(alias);
      int used = 0;
      stmts_.run("SELECT count(*) FROM project_alias WHERE address = :a", soci::into(used),
                 soci::use(a));
      if (used) throw Error("alias " + alias + " already belongs to a project");
      stmts_.run("INSERT INTO project_alias (address, project_id) VALUES (:a, :id)", soci::use(a),
                 soci::use(id));
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
                         "(SELECT count(*) FROM issue i WHERE i.project_id = p.id), "
                         "p.confirmation, p.notify_members, p.reopen_on_reply "
                         "FROM project p ORDER BY p.path");
    for (const auto& r : rs) {
      Project p;
      p.id = get_int(r, 0);
      p.path = r.get<std::string>(1);
      p.name = r.get<std::string>(2);
      p.key = r.get<std::string>(3);
      p.enabled = get_int(r, 4) != 0;
      p.issues = get_int(r, 5);
      p.confirmation = get_int(r, 6) != 0;
      p.notify_members = get_int(r, 7) != 0;
      p.reopen_on_reply = get_int(r, 8) != 0;
      out.push_back(std::move(p));
    }
    for (auto& p : out) p.members = members(p.id);
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
      soci::rowset<soci::row> rs = (sql_.prepare << "SELECT author_kind, author, body, internal, "
                                                    "created_at, full_body, spam FROM note "
                                                    "WHERE issue_id = :id ORDER BY id",
                                    soci::use(id));
      for (const auto& r : rs) {
        NoteView n;
        n.author_kind = r.get<std::string>(0);
        n.author = r.get<std::string>(1);
        n.body = r.get<std::string>(2);
        n.internal = get_int(r, 3) != 0;
        n.created_at = get_int(r, 4);
        n.full_body = r.get<std::string>(5);
        if (n.full_body.empty()) n.full_body = n.body;
        n.spam = get_int(r, 6) != 0;
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
          (sql_.prepare << "SELECT email, reply_key, subscribed, bouncing FROM participant "
                           "WHERE issue_id = :id ORDER BY id",
           soci::use(id));
      for (const auto& r : rs) {
        ParticipantView p;
        p.email = r.get<std::string>(0);
        p.reply_key = r.get<std::string>(1);
        p.subscribed = get_int(r, 2) != 0;
        p.bouncing = get_int(r, 3) != 0;
        d.participants.push_back(std::move(p));
      }
    }
    return d;
  }

 private:
  // The first six columns every outbox query selects: id, kind, recipient,
  // mail_from, subject, message_id.
  static OutboxItem outbox_item(const soci::row& r) {
    OutboxItem o;
    o.id = get_int(r, 0);
    o.kind = r.get<std::string>(1);
    o.recipient = r.get<std::string>(2);
    o.mail_from = r.get<std::string>(3);
    o.subject = r.get<std::string>(4);
    o.message_id = r.get<std::string>(5);
    return o;
  }

  static std::int64_t get_int(const soci::row& r, std::size_t i) { return row_int(r, i); }

  // SQLite: a large value is not bound whole. SQLite would copy it into the
  // row record first (a 25 MB message cost 26 MB more); a zeroblob of its
  // size is inserted and the bytes are written into it in pieces.
  static constexpr std::size_t kBlobInPieces = 256 * 1024;
  bool blob_in_pieces(std::string_view bytes) const {
    return dialect_ == Dialect::sqlite && bytes.size() >= kBlobInPieces;
  }

  // PostgreSQL: SOCI 4 binds text only, so bytea went as hex, twice its size,
  // built and then copied on the way (twelve 5 MB messages at once: +174
  // MiB). From kBlobInPieces on, the INSERT goes through libpq on the same
  // connection, inside the same transaction, the bytes a binary parameter
  // read where they are.
  bool pg_binary(std::string_view bytes) const {
    return dialect_ == Dialect::postgresql && bytes.size() >= kBlobInPieces;
  }

  // Runs `sql` with `text` as $1..$n (nullopt: NULL) and `bytes` as $n+1;
  // the first column of the first row that came back, if any. Errors are
  // thrown as SOCI's, with their SQLSTATE, for classify().
  std::optional<long long> pg_exec_binary(const char* sql,
                                          const std::vector<std::optional<std::string>>& text,
                                          std::string_view bytes) {
    auto* be = static_cast<soci::postgresql_session_backend*>(sql_.get_backend());
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const auto& t : text) {
      values.push_back(t ? t->c_str() : nullptr);
      lengths.push_back(0);
      formats.push_back(0);
    }
    values.push_back(bytes.data());
    lengths.push_back(static_cast<int>(bytes.size()));
    formats.push_back(1);
    std::unique_ptr<PGresult, void (*)(PGresult*)> r(
        PQexecParams(be->conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                     lengths.data(), formats.data(), 0),
        PQclear);
    ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
      std::string msg = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(be->conn_);
      // Errors libpq makes itself carry no SQLSTATE: a lost connection is
      // class 08 for classify(), anything else an internal error.
      if (!state || std::strlen(state) != 5)
        state = PQstatus(be->conn_) == CONNECTION_BAD ? "08006" : "XX000";
      throw soci::postgresql_soci_error(msg, state);
    }
    if (st == PGRES_TUPLES_OK && PQntuples(r.get()) > 0)
      return std::stoll(PQgetvalue(r.get(), 0, 0));
    return std::nullopt;
  }

  // `owner`: the Bytes that `bytes` lie in; what is written is released.
  void write_blob(const char* table, const char* column, long long rowid, std::string_view bytes,
                  const common::Bytes* owner = nullptr) {
    auto* be = static_cast<soci::sqlite3_session_backend*>(sql_.get_backend());
    sqlite_api::sqlite3_blob* blob = nullptr;
    auto fail = [&](int rc) {
      std::string msg = std::string("writing ") + table + "." + column + ": " +
                        sqlite_api::sqlite3_errmsg(be->conn_);
      if (blob) sqlite_api::sqlite3_blob_close(blob);
      throw soci::soci_error(msg + " (SQLite error " + std::to_string(rc) + ")");
    };
    int rc = sqlite_api::sqlite3_blob_open(be->conn_, "main", table, column, rowid, 1, &blob);
    if (rc != SQLITE_OK) fail(rc);
    constexpr std::size_t kPiece = 1 << 20;
    const char* mark = bytes.data();
    for (std::size_t off = 0; off < bytes.size(); off += kPiece) {
      int n = static_cast<int>(std::min(kPiece, bytes.size() - off));
      rc = sqlite_api::sqlite3_blob_write(blob, bytes.data() + off, n, static_cast<int>(off));
      if (rc != SQLITE_OK) fail(rc);
      if (owner) owner->passed(bytes.data() + off + n, mark);
    }
    rc = sqlite_api::sqlite3_blob_close(blob);
    blob = nullptr;
    if (rc != SQLITE_OK) fail(rc);
  }

  long long store_raw(const Inbound& in, long long t) {
    if (!in.raw) return 0;
    std::string sha = in.raw_sha256, from = in.mail_from;
    long long size = static_cast<long long>(in.raw->size());
    long long id = 0;
    std::string_view raw = in.raw->view();
    if (blob_in_pieces(raw)) {
      if (stmts_.run("INSERT INTO raw_message (sha256, mail_from, size, received_at, content) "
                     "VALUES (:h, :f, :s, :t, zeroblob(:n)) ON CONFLICT (sha256) DO NOTHING "
                     "RETURNING id",
                     soci::use(sha), soci::use(from), soci::use(size), soci::use(t),
                     soci::use(size), soci::into(id))) {
        write_blob("raw_message", "content", id, raw, in.raw.get());
        return id;
      }
    } else if (pg_binary(raw)) {
      if (auto got = pg_exec_binary(
              "INSERT INTO raw_message (sha256, mail_from, size, received_at, content) "
              "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING RETURNING id",
              {sha, from, std::to_string(size), std::to_string(t)}, raw))
        return *got;
    } else {
      // Small messages only (a mapped one is large): the string in memory.
      std::string hex, copy;
      const std::string* plain = in.raw->string();
      if (!plain) plain = &(copy = in.raw->copy());
      if (dialect_ != Dialect::sqlite) hex = to_hex(*plain);
      const std::string& content = dialect_ == Dialect::sqlite ? *plain : hex;
      if (stmts_.run("INSERT INTO raw_message (sha256, mail_from, size, content, received_at) "
                     "VALUES (:h, :f, :s, " +
                         blob_param(dialect_, "c") +
                         ", :t) ON CONFLICT (sha256) DO NOTHING RETURNING id",
                     soci::use(sha), soci::use(from), soci::use(size), soci::use(content),
                     soci::use(t), soci::into(id)))
        return id;
    }
    // Stored before (the same message to another recipient, or again).
    stmts_.run("SELECT id FROM raw_message WHERE sha256 = :h", soci::into(id), soci::use(sha));
    return id;
  }

  void store_attachments(const Inbound& in, long long issue_id, long long note_id, bool with_note) {
    for (const auto& a : in.attachments) {
      std::string sent = a.filename_sent, fn = a.filename, ct = a.content_type, sha = a.sha256;
      std::string_view bytes = a.bytes();
      long long size = static_cast<long long>(bytes.size());
      soci::indicator note_ind = with_note ? soci::i_ok : soci::i_null;
      if (blob_in_pieces(bytes)) {
        long long id = 0;
        stmts_.run(
            "INSERT INTO attachment (issue_id, note_id, filename_sent, filename, content_type, "
            "size, sha256, content) VALUES (:i, :n, :fs, :f, :ct, :s, :h, zeroblob(:z)) "
            "RETURNING id",
            soci::use(issue_id), soci::use(note_id, note_ind), soci::use(sent), soci::use(fn),
            soci::use(ct), soci::use(size), soci::use(sha), soci::use(size), soci::into(id));
        write_blob("attachment", "content", id, bytes, a.spooled.get());
        continue;
      }
      if (pg_binary(bytes)) {
        pg_exec_binary(
            "INSERT INTO attachment (issue_id, note_id, filename_sent, filename, content_type, "
            "size, sha256, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            {std::to_string(issue_id),
             with_note ? std::optional<std::string>(std::to_string(note_id)) : std::nullopt, sent,
             fn, ct, std::to_string(size), sha},
            bytes);
        continue;
      }
      // Small ones only (a spooled one is large): the string in memory.
      std::string hex, copy;
      const std::string* plain = a.spooled ? &(copy = std::string(bytes)) : &a.content;
      if (dialect_ != Dialect::sqlite) hex = to_hex(*plain);
      const std::string& content = dialect_ == Dialect::sqlite ? *plain : hex;
      stmts_.run(
          "INSERT INTO attachment (issue_id, note_id, filename_sent, filename, content_type, "
          "size, sha256, content) VALUES (:i, :n, :fs, :f, :ct, :s, :h, " +
              blob_param(dialect_, "c") + ")",
          soci::use(issue_id), soci::use(note_id, note_ind), soci::use(sent), soci::use(fn),
          soci::use(ct), soci::use(size), soci::use(sha), soci::use(content));
    }
  }

  void remember_message_id(const std::string& mid, long long issue_id) {
    if (mid.empty()) return;
    std::string m = mid;
    stmts_.run(
        "INSERT INTO message_ref (message_id, issue_id) VALUES (:m, :i) "
        "ON CONFLICT DO NOTHING",
        soci::use(m), soci::use(issue_id));
  }

  Outcome create_issue(const Target& target, const Inbound& in, long long raw_id,
                       const std::string& problems, long long t, Composer* composer) {
    long long pid = target.project_id;
    // The per-project number: the UPDATE locks the project row (SQLite: the
    // write lock of BEGIN IMMEDIATE) until COMMIT, so concurrent deliveries,
    // from any instance, take numbers one after the other. UNIQUE (project_id,
    // iid) guards against anything else.
    // It also returns what the mails need of the project: no second query.
    IssueCtx ic;
    long long conf = 1, notify = 0, reopen = 1;
    stmts_.run(
        "UPDATE project SET last_iid = last_iid + 1 WHERE id = :p RETURNING last_iid, path, name, "
        "confirmation, notify_members, reopen_on_reply",
        soci::use(pid), soci::into(ic.iid), soci::into(ic.path), soci::into(ic.name),
        soci::into(conf), soci::into(notify), soci::into(reopen));
    if (!sql_.got_data()) throw Error("project vanished during delivery");
    long long iid = ic.iid;
    const std::string& path = ic.path;
    // A new issue keeps the whole text: a forward is all quote (GitLab does the same).
    // Bound by reference: a copy of a 100 KiB description per statement was
    // measurable, and for a 25 MB message 1 MiB of text each.
    const std::string &title = in.title, &body = in.full_body.empty() ? in.body : in.full_body,
                      &email = in.author_email, &name = in.author_name, &mid = in.message_id,
                      &probs = problems;
    soci::indicator raw_ind = raw_id ? soci::i_ok : soci::i_null;
    long long issue_id = 0;
    long long spam = in.spam ? 1 : 0, never = in.never_answer ? 1 : 0;
    const std::string& spam_reason = in.spam_reason;
    stmts_.run(
        "INSERT INTO issue (project_id, iid, title, description, author_email, author_name, "
        "message_id, raw_message_id, problems, created_at, updated_at, spam, spam_reason, "
        "never_answer) VALUES (:p, :iid, :title, :body, :email, :name, :mid, :raw, :probs, "
        ":t, :t2, :spam, :sr, :na) RETURNING id",
        soci::use(pid), soci::use(iid), soci::use(title), soci::use(body), soci::use(email),
        soci::use(name), soci::use(mid), soci::use(raw_id, raw_ind), soci::use(probs), soci::use(t),
        soci::use(t), soci::use(spam), soci::use(spam_reason), soci::use(never),
        soci::into(issue_id));
    std::string contact = in.contact_email.empty() ? in.author_email : in.contact_email;
    Part customer;
    if (!contact.empty()) {
      customer.email = contact;
      customer.name = name;
      customer.reply_key = random_key();
      std::string role = "customer";
      stmts_.run(
          "INSERT INTO participant (issue_id, email, name, role, reply_key, created_at) "
          "VALUES (:i, :e, :n, :r, :k, :t) RETURNING id",
          soci::use(issue_id), soci::use(contact), soci::use(name), soci::use(role),
          soci::use(customer.reply_key), soci::use(t), soci::into(customer.id));
    }
    store_attachments(in, issue_id, 0, false);
    remember_message_id(in.message_id, issue_id);
    if (composer && !in.spam) {
      // The issue as load_issue() would read it back, from what was just
      // written (the only participant is the customer row above).
      ic.id = issue_id;
      ic.project_id = pid;
      ic.title = title;
      ic.description = body;
      ic.state = "opened";
      ic.message_id = mid;
      ic.confirmation = conf != 0;
      ic.notify_members = notify != 0;
      ic.reopen_on_reply = reopen != 0;
      ic.ref = path + "#" + std::to_string(iid);
      std::vector<std::string> refs;
      if (!in.message_id.empty()) refs.push_back(in.message_id);
      if (ic.confirmation && !in.never_answer && !contact.empty() &&
          confirmation_allowed(customer.email, in.confirmations_per_sender_day, t))
        queue(*composer, ic, MailKind::thank_you, customer, refs, "", "");
      if (ic.notify_members) {
        for (const auto& m : members(ic.project_id)) {
          if (iequal(m, in.author_email)) continue;
          queue(*composer, ic, MailKind::member_new_issue, member_participant(issue_id, m, t), refs,
                in.body, in.author_email);
        }
      }
    }
    return {in.spam ? Outcome::Kind::quarantined : Outcome::Kind::created,
            path + "#" + std::to_string(iid)};
  }

  // At most `limit` confirmations to one address a day (0: no limit): two
  // auto-responders answering each other through the desk stay bounded.
  bool confirmation_allowed(const std::string& email, std::uint32_t limit, long long t) {
    if (limit == 0) return true;
    long long since = t - 86400, n = 0;
    std::string e = email, kind = "thank_you";
    stmts_.run("SELECT count(*) FROM outbox WHERE recipient = :r AND kind = :k AND created_at > :s",
               soci::into(n), soci::use(e), soci::use(kind), soci::use(since));
    return n < static_cast<long long>(limit);
  }

  Outcome add_inbound_note(const Target& target, const Inbound& in, long long raw_id,
                           const std::string& problems, long long t, Composer* composer) {
    long long issue_id = target.issue_id;
    IssueCtx ic = load_issue(issue_id);
    std::string author = in.author_email.empty() ? in.mail_from : in.author_email;
    // A project member writing to a reply address answers as a responder.
    bool responder = false;
    for (const auto& m : members(ic.project_id))
      if (iequal(m, author)) responder = true;
    std::string kind = responder ? "responder" : "customer";
    const std::string &body = in.body, &full = in.full_body.empty() ? in.body : in.full_body,
                      &mid = in.message_id, &probs = problems;
    long long part = target.participant_id;
    soci::indicator part_ind = part ? soci::i_ok : soci::i_null;
    soci::indicator raw_ind = raw_id ? soci::i_ok : soci::i_null;
    long long note_id = 0;
    long long spam = in.spam ? 1 : 0;
    stmts_.run(
        "INSERT INTO note (issue_id, author_kind, author, participant_id, body, full_body, "
        "message_id, raw_message_id, problems, created_at, spam) VALUES (:i, :k, :a, :p, :b, "
        ":f, :m, :r, :pr, :t, :spam) RETURNING id",
        soci::use(issue_id), soci::use(kind), soci::use(author), soci::use(part, part_ind),
        soci::use(body), soci::use(full), soci::use(mid), soci::use(raw_id, raw_ind),
        soci::use(probs), soci::use(t), soci::use(spam), soci::into(note_id));
    if (in.spam) {
      // Quarantined: kept, but it neither reopens nor reaches anyone.
      remember_message_id(in.message_id, issue_id);
      return {Outcome::Kind::quarantined, ic.ref};
    }
    stmts_.run("UPDATE issue SET updated_at = :t WHERE id = :i", soci::use(t), soci::use(issue_id));
    store_attachments(in, issue_id, note_id, true);
    remember_message_id(in.message_id, issue_id);
    std::vector<std::string> refs = thread_refs(ic, in.message_id);
    if (responder) {
      if (composer && !in.automated)
        mail_customers(*composer, ic, MailKind::new_note, refs, body, author);
    } else {
      if (ic.state == "closed" && ic.reopen_on_reply && !in.automated) {
        std::string opened = "opened";
        stmts_.run("UPDATE issue SET state = :s, closed_at = NULL WHERE id = :i", soci::use(opened),
                   soci::use(issue_id));
        ic.state = "opened";
      }
      if (composer && ic.notify_members) {
        for (const auto& m : members(ic.project_id)) {
          if (iequal(m, author)) continue;
          queue(*composer, ic, MailKind::member_note, member_participant(issue_id, m, t), refs,
                body, author);
        }
      }
    }
    return {Outcome::Kind::noted, ic.ref};
  }

  // --- conversation helpers ------------------------------------------------

  struct IssueCtx {
    long long id = 0, project_id = 0, iid = 0;
    std::string ref, path, name, title, description, state, message_id;
    bool confirmation = true, notify_members = false, reopen_on_reply = true;
    std::string template_subject, template_body;
  };

  struct Part {
    long long id = 0;
    std::string email, name, reply_key;
  };

  static bool iequal(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i])))
        return false;
    return true;
  }

  IssueCtx load_issue(long long issue_id) {
    IssueCtx c;
    c.id = issue_id;
    long long conf = 1, notify = 0, reopen = 1;
    stmts_.run(
        "SELECT i.project_id, i.iid, i.title, i.description, i.state, i.message_id, p.path, "
        "p.name, p.confirmation, p.notify_members, p.reopen_on_reply FROM issue i JOIN "
        "project p ON p.id = i.project_id WHERE i.id = :i",
        soci::into(c.project_id), soci::into(c.iid), soci::into(c.title), soci::into(c.description),
        soci::into(c.state), soci::into(c.message_id), soci::into(c.path), soci::into(c.name),
        soci::into(conf), soci::into(notify), soci::into(reopen), soci::use(issue_id));
    if (!sql_.got_data()) throw Error("issue vanished");
    c.confirmation = conf != 0;
    c.notify_members = notify != 0;
    c.reopen_on_reply = reopen != 0;
    c.ref = c.path + "#" + std::to_string(c.iid);
    return c;
  }

  std::vector<Part> participants(long long issue_id, const std::string& role) {
    std::vector<Part> out;
    std::string r = role;
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT id, email, name, reply_key FROM participant WHERE issue_id = :i "
                         "AND role = :r AND subscribed = 1 ORDER BY id",
         soci::use(issue_id), soci::use(r));
    for (const auto& row : rs)
      out.push_back({get_int(row, 0), row.get<std::string>(1), row.get<std::string>(2),
                     row.get<std::string>(3)});
    return out;
  }

  std::vector<std::string> members(long long project_id) {
    std::vector<std::string> out;
    soci::rowset<soci::row> rs =
        (sql_.prepare << "SELECT email FROM project_member WHERE project_id = :p ORDER BY email",
         soci::use(project_id));
    for (const auto& row : rs) out.push_back(row.get<std::string>(0));
    return out;
  }

  // The participant row through which a member answers by mail.
  Part member_participant(long long issue_id, const std::string& email, long long t) {
    std::string e = email, role = "member", empty;
    std::string key = random_key();
    stmts_.run(
        "INSERT INTO participant (issue_id, email, name, role, reply_key, created_at) VALUES "
        "(:i, :e, :n, :r, :k, :t) ON CONFLICT (issue_id, email) DO NOTHING",
        soci::use(issue_id), soci::use(e), soci::use(empty), soci::use(role), soci::use(key),
        soci::use(t));
    Part p;
    stmts_.run(
        "SELECT id, email, name, reply_key FROM participant WHERE issue_id = :i AND email = :e",
        soci::into(p.id), soci::into(p.email), soci::into(p.name), soci::into(p.reply_key),
        soci::use(issue_id), soci::use(e));
    return p;
  }

  std::vector<std::string> thread_refs(const IssueCtx& ic, const std::string& latest) {
    std::vector<std::string> refs;
    if (!ic.message_id.empty()) refs.push_back(ic.message_id);
    if (!latest.empty() && latest != ic.message_id) refs.push_back(latest);
    return refs;
  }

  void load_template(IssueCtx& ic, MailKind kind) {
    std::string k = mail_kind_name(kind);
    ic.template_subject.clear();
    ic.template_body.clear();
    stmts_.run("SELECT subject, body FROM project_template WHERE project_id = :p AND kind = :k",
               soci::into(ic.template_subject), soci::into(ic.template_body),
               soci::use(ic.project_id), soci::use(k));
  }

  int mail_customers(Composer& composer, IssueCtx& ic, MailKind kind,
                     const std::vector<std::string>& refs, const std::string& note,
                     const std::string& author) {
    int n = 0;
    for (const auto& p : participants(ic.id, "customer")) {
      if (iequal(p.email, author)) continue;
      queue(composer, ic, kind, p, refs, note, author);
      ++n;
    }
    return n;
  }

  void queue(Composer& composer, IssueCtx& ic, MailKind kind, const Part& to,
             const std::vector<std::string>& refs, const std::string& note,
             const std::string& author) {
    ++queued_;
    load_template(ic, kind);
    MailContext ctx;
    ctx.kind = kind;
    ctx.project_path = ic.path;
    ctx.project_name = ic.name;
    ctx.iid = ic.iid;
    ctx.issue_title = ic.title;
    ctx.issue_description = ic.description;
    ctx.issue_state = ic.state;
    ctx.note_text = note;
    ctx.note_author = author;
    ctx.to_email = to.email;
    ctx.to_name = to.name;
    ctx.reply_key = to.reply_key;
    ctx.references = refs;
    ctx.template_subject = ic.template_subject;
    ctx.template_body = ic.template_body;
    OutMail m = composer.compose(ctx);
    std::string k = mail_kind_name(kind), rcpt = to.email;
    long long t = now();
    long long issue_id = ic.id;
    std::string content = blob_value(dialect_, m.bytes), subject = clean_text(m.subject);
    stmts_.run(
        "INSERT INTO outbox (kind, issue_id, recipient, mail_from, subject, message_id, "
        "content, next_attempt_at, created_at) VALUES (:k, :i, :r, :f, :s, :m, " +
            blob_param(dialect_, "c") + ", :n, :t)",
        soci::use(k), soci::use(issue_id), soci::use(rcpt), soci::use(m.mail_from),
        soci::use(subject), soci::use(m.message_id), soci::use(content), soci::use(t),
        soci::use(t));
    remember_message_id(m.message_id, issue_id);
  }

  std::optional<Target> thread_target(long long project_id, const Inbound& in) {
    for (auto it = in.thread_ids.rbegin(); it != in.thread_ids.rend(); ++it) {
      std::string mid = *it;
      long long issue_id = 0, iid = 0;
      std::string path;
      stmts_.run(
          "SELECT i.id, i.iid, p.path FROM message_ref r JOIN issue i ON i.id = r.issue_id "
          "JOIN project p ON p.id = i.project_id WHERE r.message_id = :m AND i.project_id = :p "
          "ORDER BY i.id DESC LIMIT 1",
          soci::into(issue_id), soci::into(iid), soci::into(path), soci::use(mid),
          soci::use(project_id));
      if (!sql_.got_data()) continue;
      Target t;
      t.kind = Target::Kind::reply;
      t.project_id = project_id;
      t.issue_id = issue_id;
      t.project_path = path;
      t.issue_ref = path + "#" + std::to_string(iid);
      // The sender's participant row, if they have one.
      std::string email = in.author_email;
      long long part = 0;
      stmts_.run("SELECT id FROM participant WHERE issue_id = :i AND email = :e", soci::into(part),
                 soci::use(issue_id), soci::use(email));
      t.participant_id = sql_.got_data() ? part : 0;
      return t;
    }
    return std::nullopt;
  }

  long long issue_id_of(const std::string& ref) {
    auto pr = parse_ref(ref);
    if (!pr) throw Error("not an issue reference: " + ref + " (expected group/project#N)");
    std::string path = pr->first;
    long long iid = pr->second, id = 0;
    stmts_.run(
        "SELECT i.id FROM issue i JOIN project p ON p.id = i.project_id WHERE p.path = :p AND "
        "i.iid = :n",
        soci::into(id), soci::use(path), soci::use(iid));
    if (!sql_.got_data()) throw Error("no issue " + ref);
    return id;
  }

  long long project_id_of(const std::string& path) {
    std::string p = path;
    long long id = 0;
    stmts_.run("SELECT id FROM project WHERE path = :p", soci::into(id), soci::use(p));
    if (!sql_.got_data()) throw Error("no project " + path);
    return id;
  }

 public:
  int add_note(const std::string& ref, const NoteIn& note, Composer* composer) override {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    long long issue_id = issue_id_of(ref);
    IssueCtx ic = load_issue(issue_id);
    long long t = now();
    std::string kind = clean_text(note.author_kind), author = clean_text(note.author),
                body = clean_text(note.body), empty;
    long long internal = note.internal ? 1 : 0;
    sql_ << "INSERT INTO note (issue_id, author_kind, author, body, full_body, internal, "
            "message_id, created_at) VALUES (:i, :k, :a, :b, :f, :in, :m, :t)",
        soci::use(issue_id), soci::use(kind), soci::use(author), soci::use(body), soci::use(body),
        soci::use(internal), soci::use(empty), soci::use(t);
    sql_ << "UPDATE issue SET updated_at = :t WHERE id = :i", soci::use(t), soci::use(issue_id);
    int n = 0;
    // Internal notes never reach the outbox.
    if (!note.internal && composer)
      n = mail_customers(*composer, ic, MailKind::new_note, thread_refs(ic, ""), body, author);
    tx.commit();
    return n;
  }

  int set_spam(const std::string& ref, bool spam_in, Composer* composer) override {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    long long issue_id = issue_id_of(ref), spam = 0, never = 0;
    sql_ << "SELECT spam, never_answer FROM issue WHERE id = :i", soci::into(spam),
        soci::into(never), soci::use(issue_id);
    if ((spam != 0) == spam_in) return -1;
    long long v = spam_in ? 1 : 0, t = now();
    sql_ << "UPDATE issue SET spam = :s, updated_at = :t WHERE id = :i", soci::use(v), soci::use(t),
        soci::use(issue_id);
    int n = 0;
    if (!spam_in && composer && !never) {
      // Released: the confirmation it was held back from, unless one went out.
      long long sent = 0;
      std::string kind = "thank_you";
      sql_ << "SELECT count(*) FROM outbox WHERE issue_id = :i AND kind = :k", soci::into(sent),
          soci::use(issue_id), soci::use(kind);
      IssueCtx ic = load_issue(issue_id);
      if (!sent && ic.confirmation) {
        std::vector<std::string> refs;
        if (!ic.message_id.empty()) refs.push_back(ic.message_id);
        for (const auto& p : participants(issue_id, "customer")) {
          queue(*composer, ic, MailKind::thank_you, p, refs, "", "");
          ++n;
        }
      }
    }
    tx.commit();
    return n;
  }

  int set_state(const std::string& ref, const std::string& state, Composer* composer) override {
    if (state != "opened" && state != "closed") throw Error("state must be opened or closed");
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    long long issue_id = issue_id_of(ref);
    IssueCtx ic = load_issue(issue_id);
    if (ic.state == state) return -1;
    long long t = now();
    std::string st = state;
    soci::indicator closed_ind = state == "closed" ? soci::i_ok : soci::i_null;
    sql_ << "UPDATE issue SET state = :s, closed_at = :c, updated_at = :t WHERE id = :i",
        soci::use(st), soci::use(t, closed_ind), soci::use(t), soci::use(issue_id);
    ic.state = state;
    int n = 0;
    if (composer)
      n = mail_customers(*composer, ic, state == "closed" ? MailKind::closed : MailKind::reopened,
                         thread_refs(ic, ""), "", "");
    tx.commit();
    return n;
  }

  std::vector<OutboxItem> claim_outbox(int limit, std::int64_t lease_until,
                                       const std::string& owner) override {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    std::vector<OutboxItem> out;
    long long t = now(), lim = limit, until = lease_until;
    std::string pending = "pending", who = owner;
    // PostgreSQL: rows another instance is claiming right now are skipped,
    // not waited for. The lease moves the row out of everyone's reach until
    // the send is over; the claim names its owner for release_claims().
    std::string q =
        "UPDATE outbox SET next_attempt_at = :u, claimed_by = :o WHERE id IN (SELECT id "
        "FROM outbox WHERE state = :s AND next_attempt_at <= :t ORDER BY id LIMIT :l" +
        std::string(dialect_ == Dialect::postgresql ? " FOR UPDATE SKIP LOCKED" : "") +
        ") RETURNING id, kind, recipient, mail_from, subject, message_id, attempts, "
        "created_at, " +
        blob_column(dialect_, "content");
    soci::rowset<soci::row> rs = (sql_.prepare << q, soci::use(until), soci::use(who),
                                  soci::use(pending), soci::use(t), soci::use(lim));
    for (const auto& r : rs) {
      OutboxItem o = outbox_item(r);
      o.attempts = get_int(r, 6);
      o.created_at = get_int(r, 7);
      o.content = blob_bytes(dialect_, r.get<std::string>(8));
      o.state = pending;
      out.push_back(std::move(o));
    }
    tx.commit();
    std::sort(out.begin(), out.end(),
              [](const OutboxItem& a, const OutboxItem& b) { return a.id < b.id; });
    return out;
  }

  int release_claims(const std::string& owner) override {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    long long t = now(), n = 0;
    std::string who = owner, pending = "pending";
    sql_ << "SELECT count(*) FROM outbox WHERE state = :s AND claimed_by = :o AND "
            "next_attempt_at > :t",
        soci::into(n), soci::use(pending), soci::use(who), soci::use(t);
    sql_ << "UPDATE outbox SET next_attempt_at = :t, claimed_by = '' WHERE state = :s AND "
            "claimed_by = :o AND next_attempt_at > :t2",
        soci::use(t), soci::use(pending), soci::use(who), soci::use(t);
    tx.commit();
    return static_cast<int>(n);
  }

  void outbox_sent(std::int64_t id_in) override {
    long long id = id_in, t = now();
    std::string sent = "sent", empty;
    stmts_.run(
        "UPDATE outbox SET state = :s, sent_at = :t, attempts = attempts + 1, last_error = :e, "
        "claimed_by = '' WHERE id = :i",
        soci::use(sent), soci::use(t), soci::use(empty), soci::use(id));
  }

  void outbox_failed(std::int64_t id_in, const std::string& error, bool permanent,
                     std::int64_t next_in) override {
    long long id = id_in, next = next_in;
    std::string st = permanent ? "failed" : "pending", e = clean_text(error);
    stmts_.run(
        "UPDATE outbox SET state = :s, attempts = attempts + 1, last_error = :e, "
        "next_attempt_at = :n, claimed_by = '' WHERE id = :i",
        soci::use(st), soci::use(e), soci::use(next), soci::use(id));
  }

  std::vector<OutboxItem> list_outbox(const std::optional<std::string>& state) override {
    std::vector<OutboxItem> out;
    std::string st = state.value_or("");
    std::string q =
        "SELECT id, kind, recipient, mail_from, subject, message_id, state, attempts, last_error, "
        "next_attempt_at, created_at, COALESCE(sent_at, 0) FROM outbox";
    if (state) q += " WHERE state = :s";
    q += " ORDER BY id";
    soci::statement stmt(sql_);
    soci::row r;
    stmt.alloc();
    stmt.exchange(soci::into(r));
    if (state) stmt.exchange(soci::use(st, "s"));
    stmt.prepare(q);
    stmt.define_and_bind();
    stmt.execute(false);
    while (stmt.fetch()) {
      OutboxItem o = outbox_item(r);
      o.state = r.get<std::string>(6);
      o.attempts = get_int(r, 7);
      o.last_error = r.get<std::string>(8);
      o.next_attempt_at = get_int(r, 9);
      o.created_at = get_int(r, 10);
      o.sent_at = get_int(r, 11);
      out.push_back(std::move(o));
    }
    return out;
  }

  bool retry_outbox(std::int64_t id_in) override {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    long long id = id_in, t = now();
    int n = 0;
    sql_ << "SELECT count(*) FROM outbox WHERE id = :i AND state <> 'sent'", soci::into(n),
        soci::use(id);
    if (!n) return false;
    std::string pending = "pending";
    sql_ << "UPDATE outbox SET state = :s, next_attempt_at = :t WHERE id = :i", soci::use(pending),
        soci::use(t), soci::use(id);
    tx.commit();
    return true;
  }

  void manual_checkpoints() override {
    if (dialect_ != Dialect::sqlite) return;
    manual_checkpoints_ = true;  // kept across reconnects (configure())
    sql_ << "PRAGMA wal_autocheckpoint = 0";
  }

  WalFrames checkpoint() override {
    if (dialect_ != Dialect::sqlite) return {};
    int busy = 0, log = 0, done = 0;
    sql_ << "PRAGMA wal_checkpoint(PASSIVE)", soci::into(busy), soci::into(log), soci::into(done);
    return {log, done};
  }

  void begin_batch() override {
    try {
      stmts_.run(dialect_ == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    } catch (const soci::soci_error& e) {
      throw NothingSent(e.what(), classify(e, sql_));
    }
    batch_open_ = true;
  }

  void commit_batch() override {
    batch_open_ = false;
    common::fault_point("before_commit");
    stmts_.run("COMMIT");
    common::fault_point("after_commit");
  }

  void rollback_batch() override {
    batch_open_ = false;
    stmts_.run("ROLLBACK");
  }

  std::vector<std::string> check() override {
    std::vector<std::string> problems;
    // Each query counts rows that break one invariant.
    static const struct {
      const char* what;
      const char* sql;
    } kChecks[] = {
        {"dedupe rows left without a result (a delivery stored in part)",
         "SELECT count(*) FROM dedupe WHERE ref = ''"},
        {"issues without their raw message",
         "SELECT count(*) FROM issue WHERE raw_message_id IS NULL"},
        {"raw messages no issue or note refers to",
         "SELECT count(*) FROM raw_message r WHERE NOT EXISTS (SELECT 1 FROM issue i WHERE "
         "i.raw_message_id = r.id) AND NOT EXISTS (SELECT 1 FROM note n WHERE n.raw_message_id = "
         "r.id)"},
        {"new-issue dedupe rows naming no issue",
         "SELECT count(*) FROM dedupe d WHERE d.scope LIKE 'project:%' AND NOT EXISTS (SELECT 1 "
         "FROM issue i JOIN project p ON p.id = i.project_id WHERE d.ref = p.path || '#' || "
         "CAST(i.iid AS TEXT))"},
        {"projects whose last number is below an issue's number",
         "SELECT count(*) FROM project p WHERE p.last_iid < (SELECT COALESCE(max(iid), 0) FROM "
         "issue i WHERE i.project_id = p.id)"},
        {"attachments of a missing issue or note",
         "SELECT count(*) FROM attachment a WHERE NOT EXISTS (SELECT 1 FROM issue i WHERE i.id = "
         "a.issue_id) OR (a.note_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM note n WHERE n.id = "
         "a.note_id))"},
        {"notes, participants or message refs of a missing issue",
         "SELECT (SELECT count(*) FROM note n WHERE NOT EXISTS (SELECT 1 FROM issue i WHERE i.id = "
         "n.issue_id)) + (SELECT count(*) FROM participant p WHERE NOT EXISTS (SELECT 1 FROM issue "
         "i WHERE i.id = p.issue_id)) + (SELECT count(*) FROM message_ref m WHERE NOT EXISTS "
         "(SELECT 1 FROM issue i WHERE i.id = m.issue_id))"},
        {"participants with a malformed reply key",
         "SELECT count(*) FROM participant WHERE length(reply_key) <> 32"},
        {"outbox rows in an unknown state, or sent without a time",
         "SELECT count(*) FROM outbox WHERE state NOT IN ('pending', 'sent', 'failed') OR (state = "
         "'sent' AND sent_at IS NULL)"},
        {"outbox rows of a missing issue",
         "SELECT count(*) FROM outbox o WHERE o.issue_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
         "issue i WHERE i.id = o.issue_id)"},
    };
    for (const auto& c : kChecks) {
      long long n = 0;
      sql_ << c.sql, soci::into(n);
      if (n) problems.push_back(std::to_string(n) + " " + c.what);
    }
    long long bad_size = 0;
    sql_ << std::string("SELECT count(*) FROM attachment WHERE size <> ") +
                (dialect_ == Dialect::sqlite ? "length(CAST(content AS BLOB))" : "length(content)"),
        soci::into(bad_size);
    if (bad_size)
      problems.push_back(std::to_string(bad_size) + " attachments whose size is not their length");
    if (dialect_ == Dialect::sqlite) {
      std::vector<std::string> lines(100);
      sql_ << "PRAGMA integrity_check", soci::into(lines);
      for (const auto& l : lines)
        if (l != "ok") problems.push_back("SQLite integrity: " + l);
      soci::rowset<soci::row> fk = sql_.prepare << "PRAGMA foreign_key_check";
      for (const auto& r : fk)
        problems.push_back("SQLite foreign key: a row of " + r.get<std::string>(0) +
                           " refers to a missing row of " + r.get<std::string>(2));
    }
    return problems;
  }

  std::optional<Project> find_project(const std::string& path) override {
    for (auto& p : list_projects())
      if (p.path == path) return p;
    return std::nullopt;
  }

  void set_project_flag(const std::string& path, const std::string& flag, bool on) override {
    if (flag != "confirmation" && flag != "notify_members" && flag != "reopen_on_reply")
      throw Error("unknown project setting " + flag);
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    long long id = project_id_of(path), v = on ? 1 : 0;
    sql_ << "UPDATE project SET " + flag + " = :v WHERE id = :i", soci::use(v), soci::use(id);
    tx.commit();
  }

  void add_member(const std::string& path, const std::string& email) override {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    long long id = project_id_of(path);
    std::string e = email;
    sql_ << "INSERT INTO project_member (project_id, email) VALUES (:p, :e) ON CONFLICT DO NOTHING",
        soci::use(id), soci::use(e);
    tx.commit();
  }

  bool remove_member(const std::string& path, const std::string& email) override {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    long long id = project_id_of(path);
    std::string e = email;
    int n = 0;
    sql_ << "SELECT count(*) FROM project_member WHERE project_id = :p AND email = :e",
        soci::into(n), soci::use(id), soci::use(e);
    sql_ << "DELETE FROM project_member WHERE project_id = :p AND email = :e", soci::use(id),
        soci::use(e);
    tx.commit();
    return n > 0;
  }

  void set_template(const std::string& path, MailKind kind, const std::string& subject,
                    const std::string& body) override {
    Tx tx(stmts_, sql_, dialect_, batch_open_);
    long long id = project_id_of(path);
    std::string k = mail_kind_name(kind), sub = clean_text(subject), b = clean_text(body);
    sql_ << "DELETE FROM project_template WHERE project_id = :p AND kind = :k", soci::use(id),
        soci::use(k);
    if (!subject.empty() || !body.empty())
      sql_ << "INSERT INTO project_template (project_id, kind, subject, body) VALUES (:p, :k, :s, "
              ":b)",
          soci::use(id), soci::use(k), soci::use(sub), soci::use(b);
    tx.commit();
  }

 private:
  static constexpr int kConflictRetries = 5;
  Dialect dialect_;
  std::string conn_;
  std::chrono::milliseconds wait_;
  soci::session sql_;
  Statements stmts_{sql_, dialect_};  // after sql_: destroyed before it
  bool broken_ = false;               // the connection failed: reopen before the next use
  bool batch_open_ = false;           // inside begin_batch(): transactions are savepoints
  bool manual_checkpoints_ = false;   // wal_autocheckpoint = 0, also after a reconnect
  int queued_ = 0;                    // outbox rows queued by the current deliver()
};

}  // namespace

const char* mail_kind_name(MailKind k) {
  switch (k) {
    case MailKind::thank_you:
      return "thank_you";
    case MailKind::new_note:
      return "new_note";
    case MailKind::closed:
      return "closed";
    case MailKind::reopened:
      return "reopened";
    case MailKind::member_new_issue:
      return "member_new_issue";
    case MailKind::member_note:
      return "member_note";
  }
  return "?";
}

std::optional<MailKind> mail_kind_from(const std::string& name) {
  for (auto k : {MailKind::thank_you, MailKind::new_note, MailKind::closed, MailKind::reopened,
                 MailKind::member_new_issue, MailKind::member_note})
    if (name == mail_kind_name(k)) return k;
  return std::nullopt;
}

std::unique_ptr<Connection> connect(const std::string& connection, std::chrono::milliseconds wait) {
  return std::make_unique<SociStore>(connection, wait);
}

}  // namespace store
