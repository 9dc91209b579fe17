// repository.h: the narrow interfaces through which the desk's rules
// (src/desk) reach the stored rows, one per table or group of tables, and the
// unit of work (Tx) that hands them out inside ONE transaction.
//
// They store and find; they decide nothing: who is mailed, when an issue
// reopens, what a limit allows are the desk's. The SQL implementation lives
// in this library (one connection each); tests implement them in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/values.h"

namespace store {

/// What the rules need of a project's settings (columns of the project row).
struct ProjectSettings {
  bool confirmation = true, notify_members = false, reopen_on_reply = true;
  bool cc_participants = false;
  bool disclose_fixes = false;  // the closed mail names the commit that fixed it
};

/// A project as an issue's mails name it.
struct ProjectInfo {
  std::int64_t id = 0;
  std::string path, name;
  ProjectSettings settings;
};

/// An issue with its project, as the rules read it.
struct IssueRow {
  std::int64_t id = 0, iid = 0;
  ProjectInfo project;
  std::string title, description, state, message_id;
  std::string assignee;  // "" for none
  bool spam = false, never_answer = false;
  std::string ref() const { return project.path + "#" + std::to_string(iid); }
};

/// Where an issue is: its row id, number and project path.
struct IssueRef {
  std::int64_t id = 0, iid = 0;
  std::string path;
};

/// A new issue row.
struct NewIssue {
  std::int64_t project_id = 0, iid = 0;
  std::string title, description, author_email, author_name, message_id, problems;
  std::string spam_reason;
  std::int64_t raw_message_id = 0;  // 0: none
  std::int64_t created_at = 0;
  bool spam = false, never_answer = false;
};

/// A participant row: someone mail about an issue goes to.
struct Participant {
  std::int64_t id = 0;
  std::string email, name, reply_key;
};

/// A new note row.
struct NewNote {
  std::int64_t issue_id = 0;
  std::string author_kind, author, body, full_body, message_id, problems;
  std::int64_t participant_id = 0;  // 0: none
  std::int64_t raw_message_id = 0;  // 0: none
  std::int64_t created_at = 0;
  bool internal = false, spam = false;
  bool verified = true;  // false: the site did not vouch for its author (identity.h)
  /// A change the desk records (author_kind "system"): kept out of the
  /// search index.
  bool system = false;
};

/// A project's own template for one kind of mail (both empty: the default).
struct Template {
  std::string subject, body;
};

/// Projects, their members, aliases and templates.
class ProjectRepo {
 public:
  virtual ~ProjectRepo() = default;
  /// Takes the project's next issue number and returns it with the project;
  /// the project row stays locked until the transaction ends, so concurrent
  /// deliveries, from any instance, take numbers one after the other.
  /// nullopt: no such project.
  virtual std::optional<std::pair<std::int64_t, ProjectInfo>> next_iid(std::int64_t project_id) = 0;
  /// Member addresses, in order.
  virtual std::vector<std::string> members(std::int64_t project_id) = 0;
  virtual Template template_for(std::int64_t project_id, MailKind kind) = 0;
  virtual std::optional<std::int64_t> id_of(const std::string& path) = 0;
  /// Throws Error when the path, the key or an alias is taken.
  virtual Project add(const std::string& path, const std::string& name, const std::string& key,
                      const std::vector<std::string>& aliases) = 0;
  /// Every project with its members, aliases and number of issues, by path.
  virtual std::vector<Project> list() = 0;
  /// The paths of the enabled projects `email` is a member of, by path
  /// (what the web desk asks on every request: list() counts every issue).
  virtual std::vector<std::string> member_paths(const std::string& email) = 0;
  /// `flag`: "confirmation", "notify_members", "reopen_on_reply" or
  /// "disclose_fixes" (else Error).
  virtual void set_flag(std::int64_t project_id, const std::string& flag, bool on) = 0;
  virtual void add_member(std::int64_t project_id, const std::string& email) = 0;
  /// False when it was no member.
  virtual bool remove_member(std::int64_t project_id, const std::string& email) = 0;
  /// Empty subject and body: back to the default.
  virtual void set_template(std::int64_t project_id, MailKind kind, const std::string& subject,
                            const std::string& body) = 0;
  /// Whether member `email` gets the members' mails; false when no member.
  virtual bool set_member_notify(std::int64_t project_id, const std::string& email, bool on) = 0;
  /// The members that get the members' mails, in order.
  virtual std::vector<std::string> notified_members(std::int64_t project_id) = 0;
};

/// A project's labels and the labels on its issues.
class LabelRepo {
 public:
  virtual ~LabelRepo() = default;
  /// The project's labels, by name.
  virtual std::vector<Label> list(std::int64_t project_id) = 0;
  /// `key`: the name as compared (desk::label_key). Throws Error when the
  /// project has a label with that key. Returns the new label's id.
  virtual std::int64_t add(std::int64_t project_id, const std::string& name, const std::string& key,
                           const std::string& colour) = 0;
  /// Removes the label from the project and from its issues.
  virtual void remove(std::int64_t label_id) = 0;
  /// The ids of the labels on the issue.
  virtual std::vector<std::int64_t> on_issue(std::int64_t issue_id) = 0;
  virtual void attach(std::int64_t issue_id, std::int64_t label_id) = 0;
  virtual void detach(std::int64_t issue_id, std::int64_t label_id) = 0;
};

/// What a recipient address leads to (RCPT): enabled projects only.
class AddressRepo {
 public:
  virtual ~AddressRepo() = default;
  virtual std::optional<Target> project_key(const std::string& key) = 0;
  virtual std::optional<Target> alias(const std::string& address) = 0;
  virtual std::optional<Target> reply_key(const std::string& key, bool unsubscribe) = 0;
};

/// Issues, and the Message-IDs that thread mail onto them.
class IssueRepo {
 public:
  virtual ~IssueRepo() = default;
  virtual std::optional<std::int64_t> find(const std::string& path, std::int64_t iid) = 0;
  /// Throws Error when there is no such issue.
  virtual IssueRow get(std::int64_t id) = 0;
  /// Returns the new issue's id; its title and description join the search
  /// index.
  virtual std::int64_t add(const NewIssue& issue) = 0;
  virtual void touch(std::int64_t id, std::int64_t at) = 0;
  /// Sets the state; `closed_at` nullopt clears it; `at` is the update time.
  virtual void set_state(std::int64_t id, const std::string& state,
                         std::optional<std::int64_t> closed_at, std::int64_t at) = 0;
  virtual void set_spam(std::int64_t id, bool spam, std::int64_t at) = 0;
  /// Sets the assignee ("" for none); `at` is the update time.
  virtual void set_assignee(std::int64_t id, const std::string& email, std::int64_t at) = 0;
  /// Issues whose author is `email`, created after `since`.
  virtual std::int64_t count_by_author(const std::string& email, std::int64_t since) = 0;
  /// Remembers that `message_id` belongs to the issue's thread (no-op for "").
  virtual void remember(const std::string& message_id, std::int64_t issue_id) = 0;
  /// The newest issue of the project whose thread holds `message_id`.
  virtual std::optional<IssueRef> by_message_id(const std::string& message_id,
                                                std::int64_t project_id) = 0;
  /// The issues `filter` selects, with their assignee and labels. The title,
  /// description and notes (not the desk's system notes) are searched
  /// through an index kept in the same transaction as each insert
  /// (store/search.h).
  virtual std::vector<IssueSummary> list(const IssueFilter& filter) = 0;
  /// How many issues `filter` selects (its limit and cursor ignored), counting
  /// no further than `cap`: the web queue's count costs at most `cap` rows.
  virtual std::int64_t count(const IssueFilter& filter, std::int64_t cap) = 0;
  virtual std::optional<IssueDetail> detail(const std::string& path, std::int64_t iid) = 0;
};

class ParticipantRepo {
 public:
  virtual ~ParticipantRepo() = default;
  /// Returns the new row's id.
  virtual std::int64_t add(std::int64_t issue_id, const Participant& p, const std::string& role,
                           std::int64_t at) = 0;
  /// The row of `email` on the issue; added with `p`'s key and `role` when
  /// there is none.
  virtual Participant ensure(std::int64_t issue_id, const Participant& p, const std::string& role,
                             std::int64_t at) = 0;
  virtual std::optional<std::int64_t> find(std::int64_t issue_id, const std::string& email) = 0;
  /// The participant row `id` and its role ("customer", "member").
  virtual std::optional<std::pair<Participant, std::string>> get(std::int64_t id) = 0;
  /// The subscribed participants of the issue in `role`, oldest first.
  virtual std::vector<Participant> subscribed(std::int64_t issue_id, const std::string& role) = 0;
  virtual void unsubscribe(std::int64_t id) = 0;
  /// Counts a bounce and marks the participant bouncing.
  virtual void bounced(std::int64_t id) = 0;
};

class NoteRepo {
 public:
  virtual ~NoteRepo() = default;
  /// Returns the new note's id; its body joins the search index unless it is
  /// a system note.
  virtual std::int64_t add(const NewNote& note) = 0;
};

/// Raw messages and attachments: large bytes, written without extra copies.
class BlobRepo {
 public:
  virtual ~BlobRepo() = default;
  /// Stores the raw message of `in` once per SHA-256; its id (0: no raw).
  virtual std::int64_t raw(const Inbound& in, std::int64_t at) = 0;
  /// `note_id` 0: attachments of the issue itself.
  virtual void attachments(const std::vector<AttachmentIn>& list, std::int64_t issue_id,
                           std::int64_t note_id) = 0;
  /// Attachment `attachment_id` of the issue (or one of its notes), with
  /// its bytes; nullopt when the issue has no such attachment.
  virtual std::optional<std::pair<AttachmentView, std::string>> attachment(
      std::int64_t issue_id, std::int64_t attachment_id) = 0;
  /// The raw message that opened the issue, as received; nullopt: none kept.
  virtual std::optional<std::string> issue_raw(std::int64_t issue_id) = 0;
};

class OutboxRepo {
 public:
  virtual ~OutboxRepo() = default;
  /// Queues `mail` to `recipient`, due at once.
  virtual void add(MailKind kind, std::int64_t issue_id, const std::string& recipient,
                   const OutMail& mail, std::int64_t at) = 0;
  /// Mails of `kind` queued to `recipient` after `since`.
  virtual std::int64_t count_to(const std::string& recipient, MailKind kind,
                                std::int64_t since) = 0;
  /// Mails of `kind` ever queued for the issue.
  virtual std::int64_t count_for(std::int64_t issue_id, MailKind kind) = 0;
  /// Unsolicited mails (OutMail::unsolicited) queued after `since`, to
  /// anyone: the per-desk hourly cap.
  virtual std::int64_t count_unsolicited(std::int64_t since) = 0;
  /// See Store::claim_outbox.
  virtual std::vector<OutboxItem> claim(int limit, std::int64_t lease_until,
                                        const std::string& owner) = 0;
  virtual int release(const std::string& owner) = 0;
  virtual void sent(std::int64_t id) = 0;
  virtual void failed(std::int64_t id, const std::string& error, bool permanent,
                      std::int64_t next_attempt_at) = 0;
  virtual std::vector<OutboxItem> list(const std::optional<std::string>& state) = 0;
  /// False when there is no unsent mail `id`.
  virtual bool retry(std::int64_t id) = 0;
};

/// Which messages were delivered where (idempotent delivery).
class DedupeRepo {
 public:
  virtual ~DedupeRepo() = default;
  /// Claims (scope, key); false when it was claimed before. A second
  /// instance claiming the same key waits until this transaction ends.
  virtual bool claim(const std::string& scope, const std::string& key, std::int64_t at) = 0;
  /// What the earlier delivery of (scope, key) answered.
  virtual std::string ref(const std::string& scope, const std::string& key) = 0;
  virtual void set_ref(const std::string& scope, const std::string& key,
                       const std::string& ref) = 0;
};

/// A repository bound to a project whose issues its commits may close
/// (issue 22): a bare repository on this host (forge "git") or a project on
/// a forge (gitlab, github, gitea), as an admin bound it.
struct HookBinding {
  std::int64_t id = 0, project_id = 0;
  std::string project_path;  // filled by list() and find()
  std::string forge;         // git, gitlab, github, gitea
  std::string repo;          // the bare repository's path, or the forge's project URL
  std::string branch;        // "": the repository's default branch
  std::string commit_url;    // a commit's web address, %H for its SHA; may be ""
  std::string secret;        // the webhook's shared secret ("" for git)
  std::int64_t created_at = 0;
};

/// Bindings, and what was acted on (commits, webhook deliveries).
class HookRepo {
 public:
  virtual ~HookRepo() = default;
  /// Adds a binding; returns its id. Throws Error when the project already
  /// has one for (forge, repo).
  virtual std::int64_t add(const HookBinding& b) = 0;
  /// The project's bindings (every binding for nullopt), by project, forge, repo.
  virtual std::vector<HookBinding> list(std::optional<std::int64_t> project_id) = 0;
  /// False when the project had no binding for (forge, repo).
  virtual bool remove(std::int64_t project_id, const std::string& forge,
                      const std::string& repo) = 0;
  /// Every binding of (forge, repo), one per project, by project path.
  virtual std::vector<HookBinding> find(const std::string& forge, const std::string& repo) = 0;
  /// Claims (commit, issue) for `action` ("close" or "mention"); false when
  /// it was claimed before. A second claimer waits until this transaction ends.
  virtual bool claim_commit(const std::string& commit, std::int64_t issue_id,
                            const std::string& action, std::int64_t at) = 0;
  /// Claims a webhook delivery id for binding `hook_id`; false when seen before.
  virtual bool claim_delivery(std::int64_t hook_id, const std::string& delivery,
                              std::int64_t at) = 0;
};

/// A sign-in link as stored (web desk, issue 21): the token only hashed.
struct WebLink {
  std::string email;
  std::int64_t created_at = 0, expires_at = 0;
  std::optional<std::int64_t> used_at;
};

/// A web desk session: who is signed in and the CSRF token of its forms.
struct WebSession {
  std::string email, csrf;
  std::int64_t created_at = 0, expires_at = 0;
};

/// Sign-in links and sessions of the web desk (deskmail-web), kept in the
/// database so that several instances share them. Tokens come in hashed.
class WebRepo {
 public:
  virtual ~WebRepo() = default;
  /// Records a request for a link (mailed or not: the rate limits count both).
  virtual void add_link(const std::string& token_hash, const std::string& email,
                        const std::string& client, std::int64_t at, std::int64_t expires_at) = 0;
  /// Requests for `email`, and from `client`, after `since`.
  virtual std::int64_t links_for_email(const std::string& email, std::int64_t since) = 0;
  virtual std::int64_t links_from_client(const std::string& client, std::int64_t since) = 0;
  virtual std::optional<WebLink> link(const std::string& token_hash) = 0;
  /// Uses the link up if it is unused and not expired at `at`: its address,
  /// else nullopt (nothing changed). A second user waits for this transaction.
  virtual std::optional<std::string> use_link(const std::string& token_hash, std::int64_t at) = 0;
  virtual void add_session(const std::string& token_hash, const WebSession& s) = 0;
  /// The session if it has not expired at `at`.
  virtual std::optional<WebSession> session(const std::string& token_hash, std::int64_t at) = 0;
  virtual void remove_session(const std::string& token_hash) = 0;
  /// Deletes sessions and links that expired before `before`; how many.
  virtual std::int64_t purge(std::int64_t before) = 0;
};

/// One counter sample as deskmaild counts it (name and OpenMetrics label
/// set, e.g. "deskmail_deliveries_total" and `result="issue",class="2xx"`):
/// a delta when written, a total when read.
struct MetricCount {
  std::string name, labels;
  std::int64_t value = 0;
};

/// The unsent mail in one outbox state: how many, and when the oldest was queued.
struct OutboxDepth {
  std::string state;
  std::int64_t messages = 0;
  std::int64_t oldest_created_at = 0;  // 0: none
};

/// A project's open issues, the quarantined (held back as spam) apart.
struct ProjectIssueCount {
  std::string path;
  std::int64_t open = 0, quarantined = 0;
};

/// What deskmail-web's /metrics reads (deskmail-web(8), METRICS): the
/// counters the daemons wrote, and gauges derived from the tables, each
/// from an index (schema 013).
class MetricsRepo {
 public:
  virtual ~MetricsRepo() = default;
  /// Adds each delta to `instance`'s row of (name, labels), created at 0.
  virtual void add(const std::string& instance, const std::vector<MetricCount>& deltas,
                   std::int64_t at) = 0;
  /// Every counter summed over the instances, by name and labels.
  virtual std::vector<MetricCount> counters() = 0;
  /// The unsent mail per state ("pending", "failed"), both always present.
  virtual std::vector<OutboxDepth> outbox_depth() = 0;
  /// Every project, by path, with its opened issues.
  virtual std::vector<ProjectIssueCount> open_issues() = 0;
};

/// The invariants every committed delivery keeps; one line per problem.
class CheckRepo {
 public:
  virtual ~CheckRepo() = default;
  virtual std::vector<std::string> problems() = 0;
};

/// One unit of work: the repositories, all inside the same transaction.
class Tx {
 public:
  virtual ~Tx() = default;
  virtual ProjectRepo& projects() = 0;
  virtual LabelRepo& labels() = 0;
  virtual AddressRepo& addresses() = 0;
  virtual IssueRepo& issues() = 0;
  virtual ParticipantRepo& participants() = 0;
  virtual NoteRepo& notes() = 0;
  virtual BlobRepo& blobs() = 0;
  virtual OutboxRepo& outbox() = 0;
  virtual DedupeRepo& dedupe() = 0;
  virtual CheckRepo& checks() = 0;
  virtual HookRepo& hooks() = 0;
  virtual WebRepo& web() = 0;
  virtual MetricsRepo& metrics() = 0;
  /// Ends the transaction with a rollback once the work returns: nothing it
  /// wrote is kept.
  virtual void discard() = 0;
};

}  // namespace store
