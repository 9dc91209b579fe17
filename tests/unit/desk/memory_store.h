// memory_store.h: the store's repositories in memory, for the desk's unit
// tests (never linked into the programs). A unit of work copies the state
// and puts the copy back when the work throws or discards: all or nothing,
// as with the database. The uniqueness rules the schema enforces and the
// rules rely on (participant per issue and address, dedupe keys, project
// paths, keys and aliases) are kept; SQL's case-sensitive comparisons too.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "store/store.h"

namespace memory {

struct ProjectRow {
  std::int64_t id = 0, last_iid = 0;
  std::string path, name, key;
  bool enabled = true;
  store::ProjectSettings settings;
  std::set<std::string> members;
  std::set<std::string> muted;  // members whose mail is off
  std::set<std::string> aliases;
  std::map<std::string, store::Template> templates;  // by mail kind name
};

struct IssueRow {
  store::NewIssue row;
  std::int64_t id = 0, updated_at = 0;
  std::optional<std::int64_t> closed_at;
  std::string state = "opened";
  std::string assignee;
};

struct LabelRow {
  std::int64_t id = 0, project_id = 0;
  std::string name, key, colour;
};

struct ParticipantRow {
  store::Participant p;
  std::int64_t issue_id = 0;
  std::string role;
  bool subscribed = true, bouncing = false;
  int bounces = 0;
};

struct NoteRow {
  store::NewNote row;
  std::int64_t id = 0;
};

struct OutboxRow {
  std::int64_t id = 0, issue_id = 0;
  std::string kind, recipient;
  store::OutMail mail;
  std::string state = "pending", claimed_by, last_error;
  std::int64_t attempts = 0, next_attempt_at = 0, created_at = 0, sent_at = 0;
};

struct AttachmentRow {
  std::int64_t issue_id = 0, note_id = 0;
  std::string filename, content_type, sha256;
  std::int64_t size = 0;
};

struct WebLinkRow {
  std::string email, client;
  std::int64_t created_at = 0, expires_at = 0;
  std::optional<std::int64_t> used_at;
};

/// Everything stored.
struct State {
  std::map<std::string, WebLinkRow> web_links;            // by token hash
  std::map<std::string, store::WebSession> web_sessions;  // by token hash
  std::vector<ProjectRow> projects;
  std::vector<IssueRow> issues;
  std::vector<ParticipantRow> participants;
  std::vector<NoteRow> notes;
  std::vector<OutboxRow> outbox;
  std::vector<AttachmentRow> attachments;
  std::vector<LabelRow> labels;
  std::set<std::pair<std::int64_t, std::int64_t>> issue_labels;  // (issue, label)
  std::map<std::string, std::int64_t> raw;                       // sha256 -> id
  std::map<std::pair<std::string, std::string>, std::string> dedupe;
  std::set<std::pair<std::string, std::int64_t>> message_refs;
  std::vector<store::HookBinding> hooks;
  std::map<std::pair<std::string, std::int64_t>, std::string> fix_commits;  // -> action
  std::set<std::pair<std::int64_t, std::string>> deliveries;
  // (instance, name, labels) -> value
  std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> metric_counters;
  std::int64_t next_id = 1;
  std::int64_t now = 0;  // the time the store itself stamps (claims, sends)
};

class MemoryStore final : public store::Store {
 public:
  MemoryStore();
  ~MemoryStore() override;

  void init() override {}
  int migrate() override { return kSchemaVersion; }
  int migrate_to(int version) override { return std::min(version, kSchemaVersion); }
  int version() override { return kSchemaVersion; }
  void run(store::Work kind, const std::function<void(store::Tx&)>& work) override;

  State& state() { return state_; }
  /// Units of work run (reads included), and those that kept nothing.
  int runs = 0, rolled_back = 0;

 private:
  State state_;
  struct Repos;
  std::unique_ptr<Repos> repos_;
};

}  // namespace memory
