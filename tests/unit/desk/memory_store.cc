// memory_store.cc: the repositories over memory::State.
#include "memory_store.h"

#include <algorithm>

#include "memory_hooks.h"
#include "memory_labels.h"
#include "memory_metrics.h"
#include "memory_outbox.h"
#include "memory_web.h"
#include "store/search.h"

namespace memory {

namespace {

using store::Error;

template <class Rows, class Pred>
auto* find_row(Rows& rows, Pred pred) {
  auto it = std::find_if(rows.begin(), rows.end(), pred);
  return it == rows.end() ? nullptr : &*it;
}

class Projects final : public store::ProjectRepo {
 public:
  explicit Projects(State& s) : s_(s) {}
  ProjectRow& row(std::int64_t id) {
    auto* p = find_row(s_.projects, [&](const ProjectRow& r) { return r.id == id; });
    if (!p) throw Error("no project id " + std::to_string(id));
    return *p;
  }
  std::optional<std::pair<std::int64_t, store::ProjectInfo>> next_iid(std::int64_t id) override {
    auto* p = find_row(s_.projects, [&](const ProjectRow& r) { return r.id == id; });
    if (!p) return std::nullopt;
    return std::make_pair(++p->last_iid, store::ProjectInfo{p->id, p->path, p->name, p->settings});
  }
  std::vector<std::string> members(std::int64_t id) override {
    auto& m = row(id).members;
    return {m.begin(), m.end()};
  }
  store::Template template_for(std::int64_t id, store::MailKind kind) override {
    auto& t = row(id).templates;
    auto it = t.find(store::mail_kind_name(kind));
    return it == t.end() ? store::Template{} : it->second;
  }
  std::optional<std::int64_t> id_of(const std::string& path) override {
    auto* p = find_row(s_.projects, [&](const ProjectRow& r) { return r.path == path; });
    if (!p) return std::nullopt;
    return p->id;
  }
  store::Project add(const std::string& path, const std::string& name, const std::string& key,
                     const std::vector<std::string>& aliases) override {
    if (find_row(s_.projects, [&](const ProjectRow& r) { return r.path == path || r.key == key; }))
      throw Error("a project with path " + path + " or key " + key + " already exists");
    ProjectRow r;
    r.id = s_.next_id++;
    r.path = path;
    r.name = name;
    r.key = key;
    for (const auto& a : aliases) {
      for (const auto& other : s_.projects)
        if (other.aliases.count(a)) throw Error("alias " + a + " already belongs to a project");
      r.aliases.insert(a);
    }
    s_.projects.push_back(r);
    return {r.id, path, name, key, true, true, false, true, {}, {}, aliases, 0};
  }
  std::vector<std::string> member_paths(const std::string& email) override {
    std::vector<std::string> out;
    for (const auto& r : s_.projects)
      if (r.enabled && r.members.count(email)) out.push_back(r.path);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<store::Project> list() override {
    std::vector<store::Project> out;
    for (const auto& r : s_.projects) {
      store::Project p{r.id,
                       r.path,
                       r.name,
                       r.key,
                       r.enabled,
                       r.settings.confirmation,
                       r.settings.notify_members,
                       r.settings.reopen_on_reply,
                       {r.members.begin(), r.members.end()},
                       {r.muted.begin(), r.muted.end()},
                       {r.aliases.begin(), r.aliases.end()},
                       0,
                       r.settings.cc_participants,
                       r.settings.disclose_fixes};
      for (const auto& i : s_.issues) p.issues += i.row.project_id == r.id;
      out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
    return out;
  }
  void set_flag(std::int64_t id, const std::string& flag, bool on) override {
    auto& s = row(id).settings;
    if (flag == "confirmation")
      s.confirmation = on;
    else if (flag == "notify_members")
      s.notify_members = on;
    else if (flag == "reopen_on_reply")
      s.reopen_on_reply = on;
    else if (flag == "cc_participants")
      s.cc_participants = on;
    else if (flag == "disclose_fixes")
      s.disclose_fixes = on;
    else
      throw Error("unknown project setting " + flag);
  }
  void add_member(std::int64_t id, const std::string& email) override {
    row(id).members.insert(email);
  }
  bool remove_member(std::int64_t id, const std::string& email) override {
    return row(id).members.erase(email) > 0;
  }
  void set_template(std::int64_t id, store::MailKind kind, const std::string& subject,
                    const std::string& body) override {
    auto& t = row(id).templates;
    t.erase(store::mail_kind_name(kind));
    if (!subject.empty() || !body.empty()) t[store::mail_kind_name(kind)] = {subject, body};
  }
  bool set_member_notify(std::int64_t id, const std::string& email, bool on) override {
    auto& p = row(id);
    if (!p.members.count(email)) return false;
    if (on)
      p.muted.erase(email);
    else
      p.muted.insert(email);
    return true;
  }
  std::vector<std::string> notified_members(std::int64_t id) override {
    std::vector<std::string> out;
    for (const auto& m : row(id).members)
      if (!row(id).muted.count(m)) out.push_back(m);
    return out;
  }

 private:
  State& s_;
};

class Addresses final : public store::AddressRepo {
 public:
  explicit Addresses(State& s) : s_(s) {}
  std::optional<store::Target> project(const ProjectRow* p) {
    if (!p || !p->enabled) return std::nullopt;
    store::Target t;
    t.project_id = p->id;
    t.project_path = p->path;
    return t;
  }
  std::optional<store::Target> project_key(const std::string& key) override {
    return project(find_row(s_.projects, [&](const ProjectRow& r) { return r.key == key; }));
  }
  std::optional<store::Target> alias(const std::string& address) override {
    return project(
        find_row(s_.projects, [&](const ProjectRow& r) { return r.aliases.count(address) > 0; }));
  }
  std::optional<store::Target> reply_key(const std::string& key, bool unsubscribe) override {
    auto* pa =
        find_row(s_.participants, [&](const ParticipantRow& r) { return r.p.reply_key == key; });
    if (!pa) return std::nullopt;
    auto* i = find_row(s_.issues, [&](const IssueRow& r) { return r.id == pa->issue_id; });
    auto t = project(
        find_row(s_.projects, [&](const ProjectRow& r) { return r.id == i->row.project_id; }));
    if (!t) return std::nullopt;
    t->kind = unsubscribe ? store::Target::Kind::unsubscribe : store::Target::Kind::reply;
    t->issue_id = i->id;
    t->participant_id = pa->p.id;
    t->issue_ref = t->project_path + "#" + std::to_string(i->row.iid);
    return t;
  }

 private:
  State& s_;
};

class Issues final : public store::IssueRepo {
 public:
  explicit Issues(State& s) : s_(s) {}
  IssueRow* row(std::int64_t id) {
    return find_row(s_.issues, [&](const IssueRow& r) { return r.id == id; });
  }
  std::optional<std::int64_t> find(const std::string& path, std::int64_t iid) override {
    for (const auto& i : s_.issues)
      if (i.row.iid == iid && Projects(s_).row(i.row.project_id).path == path) return i.id;
    return std::nullopt;
  }
  store::IssueRow get(std::int64_t id) override {
    auto* i = row(id);
    if (!i) throw Error("issue vanished");
    auto& p = Projects(s_).row(i->row.project_id);
    store::IssueRow r;
    r.id = id;
    r.iid = i->row.iid;
    r.project = {p.id, p.path, p.name, p.settings};
    r.title = i->row.title;
    r.description = i->row.description;
    r.state = i->state;
    r.message_id = i->row.message_id;
    r.spam = i->row.spam;
    r.never_answer = i->row.never_answer;
    r.assignee = i->assignee;
    return r;
  }
  std::int64_t add(const store::NewIssue& in) override {
    for (const auto& i : s_.issues)
      if (i.row.project_id == in.project_id && i.row.iid == in.iid)
        throw Error("UNIQUE (project_id, iid)");
    IssueRow r;
    r.row = in;
    r.id = s_.next_id++;
    r.updated_at = in.created_at;
    s_.issues.push_back(r);
    return r.id;
  }
  void touch(std::int64_t id, std::int64_t at) override { row(id)->updated_at = at; }
  void set_state(std::int64_t id, const std::string& state, std::optional<std::int64_t> closed_at,
                 std::int64_t at) override {
    auto* i = row(id);
    i->state = state;
    i->closed_at = closed_at;
    i->updated_at = at;
  }
  void set_spam(std::int64_t id, bool spam, std::int64_t at) override {
    row(id)->row.spam = spam;
    row(id)->updated_at = at;
  }
  void set_assignee(std::int64_t id, const std::string& email, std::int64_t at) override {
    row(id)->assignee = email;
    row(id)->updated_at = at;
  }
  std::int64_t count_by_author(const std::string& email, std::int64_t since) override {
    std::int64_t n = 0;
    for (const auto& i : s_.issues) n += i.row.author_email == email && i.row.created_at > since;
    return n;
  }
  void remember(const std::string& mid, std::int64_t issue_id) override {
    if (!mid.empty()) s_.message_refs.insert({mid, issue_id});
  }
  std::optional<store::IssueRef> by_message_id(const std::string& mid,
                                               std::int64_t project_id) override {
    std::optional<store::IssueRef> hit;
    for (const auto& [m, id] : s_.message_refs) {
      auto* i = row(id);
      if (m != mid || i->row.project_id != project_id || (hit && hit->id > id)) continue;
      hit = store::IssueRef{id, i->row.iid, Projects(s_).row(project_id).path};
    }
    return hit;
  }
  std::vector<store::IssueSummary> list(const store::IssueFilter& f) override {
    std::vector<const IssueRow*> rows;
    for (const auto& i : s_.issues) {
      std::string path = Projects(s_).row(i.row.project_id).path;
      if ((f.project && *f.project != path) || (f.state && *f.state != i.state) ||
          (!f.include_spam && !f.only_spam && i.row.spam) || (f.only_spam && !i.row.spam) ||
          (f.assignee && *f.assignee != i.assignee))
        continue;
      if (!f.projects.empty() &&
          std::find(f.projects.begin(), f.projects.end(), path) == f.projects.end())
        continue;
      if (!has_labels(i.id, f.labels) || (f.search && !found(i, *f.search))) continue;
      rows.push_back(&i);
    }
    auto key = [&](const IssueRow* i) {
      return f.sort == store::IssueSort::created   ? i->row.created_at
             : f.sort == store::IssueSort::updated ? i->updated_at
                                                   : 0;
    };
    std::stable_sort(rows.begin(), rows.end(), [&](auto* a, auto* b) {
      if (f.sort == store::IssueSort::id) return a->id < b->id;
      return std::make_pair(key(a), a->id) > std::make_pair(key(b), b->id);
    });
    std::vector<store::IssueSummary> out;
    for (const auto* i : rows) {
      if (f.after && f.sort != store::IssueSort::id &&
          std::make_pair(key(i), i->id) >= std::make_pair(f.after->first, f.after->second))
        continue;
      if (f.limit && static_cast<std::int64_t>(out.size()) >= *f.limit) break;
      out.push_back(summary(*i, Projects(s_).row(i->row.project_id).path));
    }
    return out;
  }
  std::int64_t count(const store::IssueFilter& f, std::int64_t cap) override {
    store::IssueFilter all = f;
    all.limit.reset();
    all.after.reset();
    return std::min<std::int64_t>(cap, static_cast<std::int64_t>(list(all).size()));
  }
  std::optional<store::IssueDetail> detail(const std::string& path, std::int64_t iid) override {
    auto id = find(path, iid);
    if (!id) return std::nullopt;
    store::IssueDetail d;
    d.summary = summary(*row(*id), path);
    d.description = row(*id)->row.description;
    d.problems = row(*id)->row.problems;
    for (const auto& n : s_.notes)
      if (n.row.issue_id == *id)
        d.notes.push_back({n.row.author_kind, n.row.author, n.row.body, n.row.full_body,
                           n.row.internal, n.row.verified, n.row.spam, n.row.created_at,
                           n.row.problems});
    for (const auto& a : s_.attachments)
      if (a.issue_id == *id)
        d.attachments.push_back({0, a.filename, a.content_type, a.sha256, a.size});
    for (const auto& p : s_.participants)
      if (p.issue_id == *id)
        d.participants.push_back({p.p.email, p.p.reply_key, p.subscribed, p.bouncing, p.role});
    return d;
  }

 private:
  store::IssueSummary summary(const IssueRow& i, const std::string& path) {
    store::IssueSummary s{i.id,
                          path + "#" + std::to_string(i.row.iid),
                          path,
                          i.row.iid,
                          i.row.title,
                          i.state,
                          i.row.author_email,
                          i.row.spam,
                          i.row.created_at,
                          i.updated_at,
                          i.assignee,
                          {}};
    for (const auto& [issue, label] : s_.issue_labels)
      if (issue == i.id)
        for (const auto& l : s_.labels)
          if (l.id == label) s.labels.push_back(l.name);
    std::sort(s.labels.begin(), s.labels.end());
    return s;
  }
  bool has_labels(std::int64_t issue_id, const std::vector<std::string>& keys) {
    for (const auto& key : keys) {
      bool on = false;
      for (const auto& l : s_.labels)
        on = on || (l.key == key && s_.issue_labels.count({issue_id, l.id}));
      if (!on) return false;
    }
    return true;
  }
  // Every word of the query in the issue's title and description or in one
  // of its notes (system notes aside), as a substring of the folded text:
  // what SQLite's trigram index answers.
  bool found(const IssueRow& i, const std::string& query) {
    std::vector<std::string> docs{store::search::fold(i.row.title + " " + i.row.description)};
    for (const auto& n : s_.notes)
      if (n.row.issue_id == i.id && n.row.author_kind != "system")
        docs.push_back(store::search::fold(n.row.body));
    auto words = store::search::query_words(query);
    if (words.empty()) return false;
    for (const auto& w : words) {
      bool hit = false;
      for (const auto& d : docs) hit = hit || d.find(w.text) != std::string::npos;
      if (!hit) return false;
    }
    return true;
  }
  State& s_;
};

class Participants final : public store::ParticipantRepo {
 public:
  explicit Participants(State& s) : s_(s) {}
  ParticipantRow* on(std::int64_t issue_id, const std::string& email) {
    return find_row(s_.participants, [&](const ParticipantRow& r) {
      return r.issue_id == issue_id && r.p.email == email;
    });
  }
  ParticipantRow& row(std::int64_t id) {
    return *find_row(s_.participants, [&](const ParticipantRow& r) { return r.p.id == id; });
  }
  std::int64_t add(std::int64_t issue_id, const store::Participant& p, const std::string& role,
                   std::int64_t) override {
    if (on(issue_id, p.email)) throw Error("UNIQUE (issue_id, email)");
    for (const auto& r : s_.participants)
      if (r.p.reply_key == p.reply_key) throw Error("UNIQUE (reply_key)");
    ParticipantRow r;
    r.p = p;
    r.p.id = s_.next_id++;
    r.issue_id = issue_id;
    r.role = role;
    s_.participants.push_back(r);
    return r.p.id;
  }
  store::Participant ensure(std::int64_t issue_id, const store::Participant& p,
                            const std::string& role, std::int64_t at) override {
    if (!on(issue_id, p.email)) add(issue_id, p, role, at);
    return on(issue_id, p.email)->p;
  }
  std::optional<std::int64_t> find(std::int64_t issue_id, const std::string& email) override {
    auto* r = on(issue_id, email);
    if (!r) return std::nullopt;
    return r->p.id;
  }
  std::optional<std::pair<store::Participant, std::string>> get(std::int64_t id) override {
    auto* r = find_row(s_.participants, [&](const ParticipantRow& x) { return x.p.id == id; });
    if (!r) return std::nullopt;
    return std::make_pair(r->p, r->role);
  }
  std::vector<store::Participant> subscribed(std::int64_t issue_id,
                                             const std::string& role) override {
    std::vector<store::Participant> out;
    for (const auto& r : s_.participants)
      if (r.issue_id == issue_id && r.role == role && r.subscribed) out.push_back(r.p);
    return out;
  }
  void unsubscribe(std::int64_t id) override { row(id).subscribed = false; }
  void bounced(std::int64_t id) override {
    row(id).bouncing = true;
    ++row(id).bounces;
  }

 private:
  State& s_;
};

class Notes final : public store::NoteRepo {
 public:
  explicit Notes(State& s) : s_(s) {}
  std::int64_t add(const store::NewNote& n) override {
    s_.notes.push_back({n, s_.next_id++});
    return s_.notes.back().id;
  }

 private:
  State& s_;
};

class Blobs final : public store::BlobRepo {
 public:
  explicit Blobs(State& s) : s_(s) {}
  std::int64_t raw(const store::Inbound& in, std::int64_t) override {
    if (!in.raw) return 0;
    auto [it, added] = s_.raw.emplace(in.raw_sha256, s_.next_id);
    if (added) ++s_.next_id;
    return it->second;
  }
  void attachments(const std::vector<store::AttachmentIn>& list, std::int64_t issue_id,
                   std::int64_t note_id) override {
    for (const auto& a : list)
      s_.attachments.push_back({issue_id, note_id, a.filename, a.content_type, a.sha256,
                                static_cast<std::int64_t>(a.bytes().size())});
  }
  // The bytes of attachments and raw messages are not kept in memory: the
  // web desk's downloads are tested against the real store (test_web).
  std::optional<std::pair<store::AttachmentView, std::string>> attachment(std::int64_t,
                                                                          std::int64_t) override {
    return std::nullopt;
  }
  std::optional<std::string> issue_raw(std::int64_t) override { return std::nullopt; }

 private:
  State& s_;
};

class Dedupe final : public store::DedupeRepo {
 public:
  explicit Dedupe(State& s) : s_(s) {}
  bool claim(const std::string& scope, const std::string& key, std::int64_t) override {
    return s_.dedupe.emplace(std::make_pair(scope, key), "").second;
  }
  std::string ref(const std::string& scope, const std::string& key) override {
    return s_.dedupe.at({scope, key});
  }
  void set_ref(const std::string& scope, const std::string& key, const std::string& ref) override {
    s_.dedupe.at({scope, key}) = ref;
  }

 private:
  State& s_;
};

// The invariants of check.cc that hold in memory as in SQL.
class Checks final : public store::CheckRepo {
 public:
  explicit Checks(State& s) : s_(s) {}
  std::vector<std::string> problems() override {
    std::vector<std::string> out;
    int pending = 0, keys = 0;
    for (const auto& [k, ref] : s_.dedupe) pending += ref.empty();
    for (const auto& p : s_.participants) keys += p.p.reply_key.size() != 32;
    if (pending)
      out.push_back(std::to_string(pending) +
                    " dedupe rows left without a result (a delivery stored in part)");
    if (keys) out.push_back(std::to_string(keys) + " participants with a malformed reply key");
    return out;
  }

 private:
  State& s_;
};

}  // namespace

struct MemoryStore::Repos final : store::Tx {
  explicit Repos(State& s)
      : projects_(s),
        labels_(s),
        addresses_(s),
        issues_(s),
        participants_(s),
        notes_(s),
        blobs_(s),
        outbox_(s),
        dedupe_(s),
        checks_(s),
        hooks_(s),
        web_(s),
        metrics_(s) {}
  store::ProjectRepo& projects() override { return projects_; }
  store::LabelRepo& labels() override { return labels_; }
  store::AddressRepo& addresses() override { return addresses_; }
  store::IssueRepo& issues() override { return issues_; }
  store::ParticipantRepo& participants() override { return participants_; }
  store::NoteRepo& notes() override { return notes_; }
  store::BlobRepo& blobs() override { return blobs_; }
  store::OutboxRepo& outbox() override { return outbox_; }
  store::DedupeRepo& dedupe() override { return dedupe_; }
  store::CheckRepo& checks() override { return checks_; }
  store::HookRepo& hooks() override { return hooks_; }
  store::WebRepo& web() override { return web_; }
  store::MetricsRepo& metrics() override { return metrics_; }
  void discard() override { discarded = true; }

  Projects projects_;
  detail::Labels labels_;
  Addresses addresses_;
  Issues issues_;
  Participants participants_;
  Notes notes_;
  Blobs blobs_;
  detail::Outbox outbox_;
  Dedupe dedupe_;
  Checks checks_;
  detail::Hooks hooks_;
  detail::Web web_;
  detail::Metrics metrics_;
  bool discarded = false;
};

MemoryStore::MemoryStore() : repos_(std::make_unique<Repos>(state_)) {}
MemoryStore::~MemoryStore() = default;

void MemoryStore::run(store::Work, const std::function<void(store::Tx&)>& work) {
  ++runs;
  State before = state_;
  repos_->discarded = false;
  try {
    work(*repos_);
  } catch (...) {
    state_ = std::move(before);
    ++rolled_back;
    throw;
  }
  if (repos_->discarded) {
    state_ = std::move(before);
    ++rolled_back;
  }
}

}  // namespace memory
