// store.h: the store interface (DESIGN.md section 5). Plain values in and out;
// an SQLite implementation today, PostgreSQL and a batching single writer can
// implement the same interface later.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace store {

/// Where a recipient leads, as resolved by the store.
struct Target {
  enum class Kind { project, reply, unsubscribe } kind = Kind::project;
  std::int64_t project_id = 0;
  std::int64_t issue_id = 0;        // reply / unsubscribe
  std::int64_t participant_id = 0;  // reply / unsubscribe
  std::string project_path;
  std::string issue_ref;  // "acme/game#3" for reply / unsubscribe
};

struct AttachmentIn {
  std::string filename_sent, filename, content_type, sha256;
  std::string content;       // decoded bytes, unless spooled
  common::BytesPtr spooled;  // a large one's bytes, mapped from a file

  std::string_view bytes() const { return spooled ? spooled->view() : std::string_view(content); }
};

/// Why a mail is caused; also the template name (GitLab's names where they exist).
enum class MailKind {
  thank_you,         // confirmation of a new issue, to the customer
  new_note,          // a public responder note, to each subscribed customer
  closed,            // issue closed, to each subscribed customer
  reopened,          // issue reopened, to each subscribed customer
  member_new_issue,  // new issue, to project members (per project)
  member_note,       // customer reply, to project members (per project)
};
const char* mail_kind_name(MailKind k);
std::optional<MailKind> mail_kind_from(const std::string& name);

/// Everything a composer needs to write one outbound mail. Filled by the
/// store inside the transaction that causes the mail.
struct MailContext {
  MailKind kind = MailKind::thank_you;
  std::string project_path, project_name;
  std::int64_t iid = 0;
  std::string issue_title, issue_state;
  // Views of the store's own strings, valid while compose() runs: the texts
  // of a large message (up to 1 MiB each) are not copied for every mail.
  std::string_view issue_description, note_text;
  std::string note_author;
  std::string to_email, to_name;
  std::string reply_key;                        // the recipient participant's key
  std::vector<std::string> references;          // the thread, oldest first
  std::string template_subject, template_body;  // project override, or empty
};

/// A composed mail, ready for the outbox.
struct OutMail {
  std::string subject;
  std::string message_id;  // without angle brackets
  std::string mail_from;   // envelope sender
  std::string bytes;       // the whole message, CRLF line endings
};

/// Writes outbound mails. Implemented outside the store (notify::Composer),
/// called by the store inside its transaction; pure: no I/O.
class Composer {
 public:
  virtual ~Composer() = default;
  virtual OutMail compose(const MailContext& ctx) = 0;
};

/// One message for one recipient, as the delivery layer hands it over.
struct Inbound {
  std::string dedupe_key;                 // "mid:<message-id>" or "body:<sha256>"
  std::string mail_from;                  // envelope sender, "" for <>
  std::string author_email, author_name;  // who wrote it (From)
  std::string contact_email;              // where answers go (Reply-To, else From)
  std::string title, body, message_id;
  std::vector<AttachmentIn> attachments;
  std::string full_body;                // before reply trimming ("" = same as body)
  std::vector<std::string> thread_ids;  // In-Reply-To and References
  bool automated = false;               // auto-submitted, bulk, null sender, mailer-daemon
  bool never_answer = false;  // automated, or a sender we must not write to (noreply, ourselves)
  bool spam = false;          // quarantine: stored flagged, hidden, never answered
  std::string spam_reason;
  bool bounce = false;  // a DSN (multipart/report): marks the participant bouncing
  std::uint32_t new_issues_per_sender_hour = 0;    // 0: no limit
  std::uint32_t confirmations_per_sender_day = 0;  // 0: no limit
  std::vector<std::string> problems;
  common::BytesPtr raw;  // the message as received (a large one mapped: common/bytes.h)
  std::string raw_sha256;
};

/// The result of delivering to one recipient.
struct Outcome {
  enum class Kind {
    created,
    noted,
    unsubscribed,
    duplicate,
    gone,
    quarantined,   // created or noted, flagged spam
    bounce,        // a DSN recorded on the participant
    rate_limited,  // too many new issues from this sender: nothing stored
  } kind = Kind::created;
  std::string ref;  // "acme/game#3"
  int mails = 0;    // outbox rows this delivery queued
};

struct Project {
  std::int64_t id = 0;
  std::string path, name, key;
  bool enabled = true;
  bool confirmation = true, notify_members = false, reopen_on_reply = true;
  std::vector<std::string> members;
  std::vector<std::string> aliases;
  std::int64_t issues = 0;
};

struct IssueSummary {
  std::string ref, project;
  std::int64_t iid = 0;
  std::string title, state, author;
  bool spam = false;
  std::int64_t created_at = 0, updated_at = 0;
};

struct NoteView {
  std::string author_kind, author, body, full_body;
  bool internal = false;
  bool spam = false;
  std::int64_t created_at = 0;
};
struct AttachmentView {
  std::string filename, content_type, sha256;
  std::int64_t size = 0;
};
struct ParticipantView {
  std::string email, reply_key;
  bool subscribed = true;
  bool bouncing = false;
};
struct IssueDetail {
  IssueSummary summary;
  std::string description;
  std::vector<NoteView> notes;
  std::vector<AttachmentView> attachments;
  std::vector<ParticipantView> participants;
};

struct OutboxItem {
  std::int64_t id = 0;
  std::string kind, recipient, mail_from, subject, message_id, state, last_error;
  std::int64_t attempts = 0, next_attempt_at = 0, created_at = 0, sent_at = 0;
  std::string content;  // only filled by claim_outbox()
};

/// What a responder or admin does to an issue from the CLI.
struct NoteIn {
  std::string author;  // e-mail address of the responder
  std::string author_kind = "responder";
  std::string body;
  bool internal = false;
};

struct IssueFilter {
  std::optional<std::string> project;
  std::optional<std::string> state;
  std::optional<std::int64_t> limit;
  bool include_spam = false;
};

/// Thrown for a failure the caller cannot fix by retrying differently
/// (the schema is missing or too new, a project exists, ...).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown when the store could not be reached or the lock wait ran out: the
/// MTA must retry (451 4.3.0).
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Store {
 public:
  virtual ~Store() = default;

  static constexpr int kSchemaVersion = 5;

  // --- schema -----------------------------------------------------------
  /// Creates the schema in an empty database. Throws Error if it exists.
  virtual void init() = 0;
  /// Applies pending migrations; returns the version reached.
  virtual int migrate() = 0;
  /// The schema version in the database, 0 when there is none.
  virtual int version() = 0;

  // --- delivery -----------------------------------------------------------
  virtual std::optional<Target> find_project_key(const std::string& key) = 0;
  virtual std::optional<Target> find_alias(const std::string& address) = 0;
  virtual std::optional<Target> find_reply_key(const std::string& key, bool unsubscribe) = 0;
  /// Stores `in` for `target` in one transaction: all of it or none of it.
  /// Throws Unavailable (or another exception) when nothing was stored.
  /// `composer` writes the mails the delivery causes (may be null: none).
  virtual Outcome deliver(const Target& target, const Inbound& in, Composer* composer) = 0;

  // --- group commit ----------------------------------------------------------
  /// Opens one transaction that the following calls from this thread join,
  /// each of them as a savepoint: a call that fails rolls back only itself.
  /// SQLite's single writer uses it to share one durable COMMIT among
  /// concurrent deliveries.
  virtual void begin_batch() = 0;
  /// Commits everything since begin_batch(); throws (Unavailable) when none
  /// of it was stored.
  virtual void commit_batch() = 0;
  virtual void rollback_batch() = 0;

  // --- responders -----------------------------------------------------------
  /// Adds a note to REF; a public one is mailed to every subscribed customer
  /// except its author. Returns the number of mails queued.
  virtual int add_note(const std::string& ref, const NoteIn& note, Composer* composer) = 0;
  /// Flags REF as spam, or releases it (ham): a released issue gets the
  /// confirmation it did not get. Returns mails queued, -1 if unchanged.
  virtual int set_spam(const std::string& ref, bool spam, Composer* composer) = 0;
  /// Closes or reopens REF and mails the customers; returns mails queued, or
  /// -1 when the issue already was in that state.
  virtual int set_state(const std::string& ref, const std::string& state, Composer* composer) = 0;

  // --- outbox -----------------------------------------------------------
  /// Claims up to `limit` pending mails whose next attempt is due, oldest
  /// first: until `lease_until` (Unix seconds) no other dispatcher, on this
  /// or another host, gets them. `owner` names the claiming instance.
  virtual std::vector<OutboxItem> claim_outbox(int limit, std::int64_t lease_until,
                                               const std::string& owner) = 0;
  /// Makes the mails `owner` claimed and did not finish due again (after a
  /// restart); returns how many.
  virtual int release_claims(const std::string& owner) = 0;
  virtual void outbox_sent(std::int64_t id) = 0;
  /// Records a failed attempt: permanent -> state failed; else pending again
  /// at `next_attempt_at`.
  virtual void outbox_failed(std::int64_t id, const std::string& error, bool permanent,
                             std::int64_t next_attempt_at) = 0;
  virtual std::vector<OutboxItem> list_outbox(const std::optional<std::string>& state) = 0;
  /// Makes a failed (or pending) mail due now; false if there is no such id.
  virtual bool retry_outbox(std::int64_t id) = 0;

  // --- administration -----------------------------------------------------
  virtual Project add_project(const std::string& path, const std::string& name,
                              const std::string& key, const std::vector<std::string>& aliases) = 0;
  virtual std::vector<Project> list_projects() = 0;
  virtual std::optional<Project> find_project(const std::string& path) = 0;
  /// Sets confirmation / notify_members / reopen_on_reply.
  virtual void set_project_flag(const std::string& path, const std::string& flag, bool on) = 0;
  virtual void add_member(const std::string& path, const std::string& email) = 0;
  virtual bool remove_member(const std::string& path, const std::string& email) = 0;
  /// Sets a template (empty subject and body: back to the built-in default).
  virtual void set_template(const std::string& path, MailKind kind, const std::string& subject,
                            const std::string& body) = 0;
  virtual std::vector<IssueSummary> list_issues(const IssueFilter& f) = 0;
  /// Checks the invariants every committed delivery keeps (nothing
  /// half-stored, numbers in order, the outbox consistent, and the database
  /// file itself on SQLite). Returns one line per problem; empty when clean.
  virtual std::vector<std::string> check() = 0;
  virtual std::optional<IssueDetail> show_issue(const std::string& ref) = 0;

  // --- SQLite's write-ahead log -------------------------------------------
  /// Leaves checkpoints to checkpoint() calls from elsewhere: the COMMIT no
  /// longer copies the log into the database now and then (and fsyncs it) on
  /// the writer's thread. No-op on PostgreSQL.
  virtual void manual_checkpoints() {}
  /// Frames in the log, and how many of them are in the database now.
  struct WalFrames {
    long long log = 0, done = 0;
  };
  /// Copies what it can of the log into the database without waiting for
  /// anyone (PASSIVE). No-op on PostgreSQL (zeros). When every frame is in
  /// the database, the next write transaction starts the log over from its
  /// beginning (unless a reader still reads an older snapshot from the log).
  virtual WalFrames checkpoint() { return {}; }
};

/// Opens the store named by a SOCI connection string ("sqlite3://db=PATH" or
/// "postgresql://host=... dbname=..."). `wait` bounds how long a statement
/// waits for a lock or for the server. PostgreSQL opens `connections`
/// connections, used by as many threads at once; SQLite always one (one
/// writer). Database faults come out as Unavailable (retry later), after
/// deadlocks and serialization failures were retried; a lost connection is
/// reopened on the next call.
std::unique_ptr<Store> open(const std::string& connection, std::chrono::milliseconds wait,
                            int connections = 1);

/// Copies every row of the store at `from` into the empty store at `to`
/// (schema created if absent), keeping ids, keys and pending mail. Both at
/// the current schema version. Returns rows copied per table, in order.
std::vector<std::pair<std::string, long long>> copy(const std::string& from, const std::string& to,
                                                    std::chrono::milliseconds wait);

/// A new 128-bit key from the kernel CSPRNG, as 32 lower-case hex digits.
std::string random_key();

/// Splits "group/project#42" into path and iid; nullopt if malformed.
std::optional<std::pair<std::string, std::int64_t>> parse_ref(const std::string& ref);

}  // namespace store
