// values.h: the plain values the store takes and gives (DESIGN.md section 5):
// what a delivery brings, what the desk shows, what the outbox holds. No
// behaviour here beyond names and parsing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
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
  thank_you,          // confirmation of a new issue, to the customer
  new_note,           // a public responder note, to each subscribed customer
  closed,             // issue closed, to each subscribed customer
  reopened,           // issue reopened, to each subscribed customer
  member_new_issue,   // new issue, to project members (per project)
  member_note,        // customer reply, to project members (per project)
  member_unverified,  // a member's mail the site did not vouch for: kept internal, the member told
  member_actions_refused,  // quick actions not understood: none ran, the member told
  sign_in,                 // a web desk sign-in link, to a project member (no issue)
};
const char* mail_kind_name(MailKind k);
std::optional<MailKind> mail_kind_from(const std::string& name);

/// Everything a composer needs to write one outbound mail. Filled by the
/// desk inside the transaction that causes the mail.
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
  // The commit that closed the issue (closed mails; "" unless the project
  // discloses fixes): %{FIX_TITLE} and %{FIX_URL}.
  std::string fix_title, fix_url;
  // A responder's answer (new_note): its text is Markdown, mailed with an
  // HTML alternative, and the files sent with it (issue 23).
  bool note_markdown = false;
  std::span<const AttachmentIn> files;
};

/// A composed mail, ready for the outbox.
struct OutMail {
  std::string subject;
  std::string message_id;  // without angle brackets
  std::string mail_from;   // envelope sender
  std::string bytes;       // the whole message, CRLF line endings
  /// To an address the sender of a message chose, not the desk's own
  /// correspondent: confirmations and mails to Cc participants. They count
  /// toward the per-desk hourly cap (limits.confirmations_per_hour).
  bool unsolicited = false;
};

/// Writes outbound mails. Implemented outside the store (notify::Composer),
/// called by the desk inside the transaction that queues them; pure: no I/O.
class Composer {
 public:
  virtual ~Composer() = default;
  virtual OutMail compose(const MailContext& ctx) = 0;
  /// Completes a file a responder sends, given `filename_sent` and its
  /// bytes: a safe `filename`, `content_type` (a well-formed one given is
  /// kept, else guessed from the name) and `sha256`. Pure. The default
  /// throws Error: a composer that sends no files need not know how.
  virtual void describe(AttachmentIn& file);
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
  /// Cc mailboxes (email, name), the desk's own and automated ones left
  /// out: participants of a new issue when the project lets them be.
  std::vector<std::pair<std::string, std::string>> cc;
  bool automated = false;     // auto-submitted, bulk, null sender, mailer-daemon
  bool never_answer = false;  // automated, or a sender we must not write to (noreply, ourselves)
  bool spam = false;          // quarantine: stored flagged, hidden, never answered
  std::string spam_reason;
  bool bounce = false;  // a DSN (multipart/report): marks the participant bouncing
  std::uint32_t new_issues_per_sender_hour = 0;    // 0: no limit
  std::uint32_t confirmations_per_sender_day = 0;  // 0: no limit
  std::uint32_t confirmations_per_hour = 0;        // per desk, to anyone; 0: no limit
  /// The site vouches for the From: domain (desk/identity.h); `proof` says
  /// what proved it or what was missing.
  bool author_proven = false;
  std::string proof;
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
  std::vector<std::string> muted;  // members who asked for no mail (notify off)
  std::vector<std::string> aliases;
  std::int64_t issues = 0;
  bool cc_participants = false;  // Cc of a new issue become participants
  bool disclose_fixes = false;
};

/// A project's label: a free-form name (compared case-insensitively in
/// ASCII: the key) and an optional colour ("#rrggbb" or "").
struct Label {
  std::int64_t id = 0;
  std::string name, colour;
};

struct IssueSummary {
  std::int64_t id = 0;  // the row's id: the keyset cursor's tie-breaker
  std::string ref, project;
  std::int64_t iid = 0;
  std::string title, state, author;
  bool spam = false;
  std::int64_t created_at = 0, updated_at = 0;
  std::string assignee;             // a member's address, "" for none
  std::vector<std::string> labels;  // label names, sorted
};

/// A note as shown. author_kind "system": a change (assign, label, state)
/// recorded by the desk, `author` who made it; internal, never mailed.
struct NoteView {
  std::string author_kind, author, body, full_body;
  bool internal = false;
  bool verified = true;  // false: its author was not proven by the site
  bool spam = false;
  std::int64_t created_at = 0;
  std::string problems;  // what was odd or cut, one per line ("": none)
};
struct AttachmentView {
  std::int64_t id = 0;
  std::string filename, content_type, sha256;
  std::int64_t size = 0;
};
struct ParticipantView {
  std::string email, reply_key;
  bool subscribed = true;
  bool bouncing = false;
  std::string role;  // "customer", "member" or "cc"
};
struct IssueDetail {
  IssueSummary summary;
  std::string description;
  std::string problems;  // of the message that opened it, one per line
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

/// The result of one attempt at an outbox mail, as the dispatcher records it.
struct OutboxAttempt {
  std::int64_t id = 0;
  bool sent = false;
  bool permanent = false;  // not sent: failed for good (else pending again)
  std::string error;       // not sent: why
  std::int64_t next_attempt_at = 0;
};

/// What a responder or admin does to an issue from the CLI or the web desk.
struct NoteIn {
  std::string author;  // e-mail address of the responder
  std::string author_kind = "responder";
  std::string body;  // Markdown: mailed as written and as HTML
  bool internal = false;
  /// Files sent with the note: the caller gives `filename_sent` (the name
  /// as chosen, any path is dropped) and the bytes (`content`, or
  /// `spooled`), optionally `content_type`; the desk completes the rest
  /// (store::Composer::describe) and checks the limits. (= {}: callers
  /// that list the fields above stay valid under -Wmissing-field-initializers.)
  std::vector<AttachmentIn> attachments = {};
};

/// The order of a listing: by number (oldest first), or newest created or
/// most recently updated first.
enum class IssueSort { id, created, updated };

/// Which issues a listing shows. The desk checks a filter before the store
/// sees it (desk::Desk::issues): label keys are lower-case, the search text
/// bounded.
struct IssueFilter {
  std::optional<std::string> project;
  std::optional<std::string> state;
  std::optional<std::int64_t> limit;
  bool include_spam = false;
  std::optional<std::string> assignee;  // "" : issues without an assignee
  std::vector<std::string> labels;      // label keys; every one must be on the issue
  std::optional<std::string> search;    // words, each found in the title, description or a note
  IssueSort sort = IssueSort::id;
  /// Only issues of these projects (the web desk: the member's own); empty: all.
  std::vector<std::string> projects;
  bool only_spam = false;  // the quarantine: flagged issues only
  /// Keyset paging (sort created or updated): only issues after the one
  /// with this sort key and id in the listing's order.
  std::optional<std::pair<std::int64_t, std::int64_t>> after;
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

/// A new 128-bit key from the kernel CSPRNG, as 32 lower-case hex digits.
std::string random_key();

/// Splits "group/project#42" into path and iid; nullopt if malformed.
std::optional<std::pair<std::string, std::int64_t>> parse_ref(const std::string& ref);

/// Text the store keeps is valid UTF-8 without NUL (PostgreSQL refuses
/// anything else; SQLite keeps the same for both to stay alike).
bool is_clean_text(std::string_view s);
/// `s` with invalid bytes as U+FFFD and NULs dropped.
std::string clean_text(std::string_view s);
/// A copy of `in` with every text field cleaned, or nullopt when all of it
/// is clean already (the common case: nothing copied).
std::optional<Inbound> repaired(const Inbound& in);

}  // namespace store
