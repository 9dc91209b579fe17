// sql_repos.h: the repositories of store/repository.h over one connection
// (inside the store library only). One SQL text serves SQLite and
// PostgreSQL; the few dialect differences are named where they are.
#pragma once

#include "store/db.h"
#include "store/repository.h"

namespace store {

class SqlProjects final : public ProjectRepo {  // projects.cc
 public:
  explicit SqlProjects(Db& db) : db_(db) {}
  std::optional<std::pair<std::int64_t, ProjectInfo>> next_iid(std::int64_t project_id) override;
  std::vector<std::string> members(std::int64_t project_id) override;
  std::vector<std::string> member_paths(const std::string& email) override;
  Template template_for(std::int64_t project_id, MailKind kind) override;
  std::optional<std::int64_t> id_of(const std::string& path) override;
  Project add(const std::string& path, const std::string& name, const std::string& key,
              const std::vector<std::string>& aliases) override;
  std::vector<Project> list() override;
  void set_flag(std::int64_t project_id, const std::string& flag, bool on) override;
  void add_member(std::int64_t project_id, const std::string& email) override;
  bool remove_member(std::int64_t project_id, const std::string& email) override;
  void set_template(std::int64_t project_id, MailKind kind, const std::string& subject,
                    const std::string& body) override;
  bool set_member_notify(std::int64_t project_id, const std::string& email, bool on) override;
  std::vector<std::string> notified_members(std::int64_t project_id) override;

 private:
  Db& db_;
};

class SqlLabels final : public LabelRepo {  // labels.cc
 public:
  explicit SqlLabels(Db& db) : db_(db) {}
  std::vector<Label> list(std::int64_t project_id) override;
  std::int64_t add(std::int64_t project_id, const std::string& name, const std::string& key,
                   const std::string& colour) override;
  void remove(std::int64_t label_id) override;
  std::vector<std::int64_t> on_issue(std::int64_t issue_id) override;
  void attach(std::int64_t issue_id, std::int64_t label_id) override;
  void detach(std::int64_t issue_id, std::int64_t label_id) override;

 private:
  Db& db_;
};

class SqlAddresses final : public AddressRepo {  // projects.cc
 public:
  explicit SqlAddresses(Db& db) : db_(db) {}
  std::optional<Target> project_key(const std::string& key) override;
  std::optional<Target> alias(const std::string& address) override;
  std::optional<Target> reply_key(const std::string& key, bool unsubscribe) override;

 private:
  Db& db_;
};

class SqlIssues final : public IssueRepo {  // issues.cc, issue_views.cc
 public:
  explicit SqlIssues(Db& db) : db_(db) {}
  std::optional<std::int64_t> find(const std::string& path, std::int64_t iid) override;
  IssueRow get(std::int64_t id) override;
  std::int64_t add(const NewIssue& issue) override;
  void touch(std::int64_t id, std::int64_t at) override;
  void set_state(std::int64_t id, const std::string& state, std::optional<std::int64_t> closed_at,
                 std::int64_t at) override;
  void set_spam(std::int64_t id, bool spam, std::int64_t at) override;
  void set_assignee(std::int64_t id, const std::string& email, std::int64_t at) override;
  std::int64_t count_by_author(const std::string& email, std::int64_t since) override;
  void remember(const std::string& message_id, std::int64_t issue_id) override;
  std::optional<IssueRef> by_message_id(const std::string& message_id,
                                        std::int64_t project_id) override;
  std::vector<IssueSummary> list(const IssueFilter& filter) override;
  std::int64_t count(const IssueFilter& filter, std::int64_t cap) override;
  std::optional<IssueDetail> detail(const std::string& path, std::int64_t iid) override;

 private:
  Db& db_;
};

class SqlParticipants final : public ParticipantRepo {  // participants.cc
 public:
  explicit SqlParticipants(Db& db) : db_(db) {}
  std::int64_t add(std::int64_t issue_id, const Participant& p, const std::string& role,
                   std::int64_t at) override;
  Participant ensure(std::int64_t issue_id, const Participant& p, const std::string& role,
                     std::int64_t at) override;
  std::optional<std::int64_t> find(std::int64_t issue_id, const std::string& email) override;
  std::optional<std::pair<Participant, std::string>> get(std::int64_t id) override;
  std::vector<Participant> subscribed(std::int64_t issue_id, const std::string& role) override;
  void unsubscribe(std::int64_t id) override;
  void bounced(std::int64_t id) override;

 private:
  Db& db_;
};

class SqlNotes final : public NoteRepo {  // participants.cc
 public:
  explicit SqlNotes(Db& db) : db_(db) {}
  std::int64_t add(const NewNote& note) override;

 private:
  Db& db_;
};

class SqlDedupe final : public DedupeRepo {  // participants.cc
 public:
  explicit SqlDedupe(Db& db) : db_(db) {}
  bool claim(const std::string& scope, const std::string& key, std::int64_t at) override;
  std::string ref(const std::string& scope, const std::string& key) override;
  void set_ref(const std::string& scope, const std::string& key, const std::string& ref) override;

 private:
  Db& db_;
};

class SqlBlobs final : public BlobRepo {  // blobs.cc
 public:
  explicit SqlBlobs(Db& db) : db_(db) {}
  std::int64_t raw(const Inbound& in, std::int64_t at) override;
  void attachments(const std::vector<AttachmentIn>& list, std::int64_t issue_id,
                   std::int64_t note_id) override;
  std::optional<std::pair<AttachmentView, std::string>> attachment(
      std::int64_t issue_id, std::int64_t attachment_id) override;
  std::optional<std::string> issue_raw(std::int64_t issue_id) override;

 private:
  bool in_pieces(std::string_view bytes) const;
  bool pg_binary(std::string_view bytes) const;
  void content(const AttachmentIn& a);
  Db& db_;
};

class SqlOutbox final : public OutboxRepo {  // outbox.cc
 public:
  explicit SqlOutbox(Db& db) : db_(db) {}
  void add(MailKind kind, std::int64_t issue_id, const std::string& recipient, const OutMail& mail,
           std::int64_t at) override;
  std::int64_t count_to(const std::string& recipient, MailKind kind, std::int64_t since) override;
  std::int64_t count_for(std::int64_t issue_id, MailKind kind) override;
  std::int64_t count_unsolicited(std::int64_t since) override;
  std::vector<OutboxItem> claim(int limit, std::int64_t lease_until,
                                const std::string& owner) override;
  int release(const std::string& owner) override;
  void sent(std::int64_t id) override;
  void failed(std::int64_t id, const std::string& error, bool permanent,
              std::int64_t next_attempt_at) override;
  std::vector<OutboxItem> list(const std::optional<std::string>& state) override;
  bool retry(std::int64_t id) override;

 private:
  Db& db_;
};

class SqlChecks final : public CheckRepo {  // check.cc
 public:
  explicit SqlChecks(Db& db) : db_(db) {}
  std::vector<std::string> problems() override;

 private:
  Db& db_;
};

class SqlHooks final : public HookRepo {  // hooks.cc
 public:
  explicit SqlHooks(Db& db) : db_(db) {}
  std::int64_t add(const HookBinding& b) override;
  std::vector<HookBinding> list(std::optional<std::int64_t> project_id) override;
  bool remove(std::int64_t project_id, const std::string& forge, const std::string& repo) override;
  std::vector<HookBinding> find(const std::string& forge, const std::string& repo) override;
  bool claim_commit(const std::string& commit, std::int64_t issue_id, const std::string& action,
                    std::int64_t at) override;
  bool claim_delivery(std::int64_t hook_id, const std::string& delivery, std::int64_t at) override;

 private:
  Db& db_;
};

class SqlWeb final : public WebRepo {  // web.cc
 public:
  explicit SqlWeb(Db& db) : db_(db) {}
  void add_link(const std::string& token_hash, const std::string& email, const std::string& client,
                std::int64_t at, std::int64_t expires_at) override;
  std::int64_t links_for_email(const std::string& email, std::int64_t since) override;
  std::int64_t links_from_client(const std::string& client, std::int64_t since) override;
  std::optional<WebLink> link(const std::string& token_hash) override;
  std::optional<std::string> use_link(const std::string& token_hash, std::int64_t at) override;
  void add_session(const std::string& token_hash, const WebSession& s) override;
  std::optional<WebSession> session(const std::string& token_hash, std::int64_t at) override;
  void remove_session(const std::string& token_hash) override;
  std::int64_t purge(std::int64_t before) override;

 private:
  Db& db_;
};

class SqlMetrics final : public MetricsRepo {  // metrics.cc
 public:
  explicit SqlMetrics(Db& db) : db_(db) {}
  void add(const std::string& instance, const std::vector<MetricCount>& deltas,
           std::int64_t at) override;
  std::vector<MetricCount> counters() override;
  std::vector<OutboxDepth> outbox_depth() override;
  std::vector<ProjectIssueCount> open_issues() override;

 private:
  Db& db_;
};

/// Every repository of one connection, handed out as one unit of work.
class SqlTx final : public Tx {
 public:
  explicit SqlTx(Db& db)
      : projects_(db),
        labels_(db),
        addresses_(db),
        issues_(db),
        participants_(db),
        notes_(db),
        blobs_(db),
        outbox_(db),
        dedupe_(db),
        checks_(db),
        hooks_(db),
        web_(db),
        metrics_(db) {}
  ProjectRepo& projects() override { return projects_; }
  LabelRepo& labels() override { return labels_; }
  AddressRepo& addresses() override { return addresses_; }
  IssueRepo& issues() override { return issues_; }
  ParticipantRepo& participants() override { return participants_; }
  NoteRepo& notes() override { return notes_; }
  BlobRepo& blobs() override { return blobs_; }
  OutboxRepo& outbox() override { return outbox_; }
  DedupeRepo& dedupe() override { return dedupe_; }
  CheckRepo& checks() override { return checks_; }
  HookRepo& hooks() override { return hooks_; }
  WebRepo& web() override { return web_; }
  MetricsRepo& metrics() override { return metrics_; }
  void discard() override { discarded_ = true; }
  /// Starts the next unit of work.
  void reset() { discarded_ = false; }
  bool discarded() const { return discarded_; }

 private:
  SqlProjects projects_;
  SqlLabels labels_;
  SqlAddresses addresses_;
  SqlIssues issues_;
  SqlParticipants participants_;
  SqlNotes notes_;
  SqlBlobs blobs_;
  SqlOutbox outbox_;
  SqlDedupe dedupe_;
  SqlChecks checks_;
  SqlHooks hooks_;
  SqlWeb web_;
  SqlMetrics metrics_;
  bool discarded_ = false;
};

}  // namespace store
