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
#include <vector>

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
  std::string content;
};

/// One message for one recipient, as the delivery layer hands it over.
struct Inbound {
  std::string dedupe_key;                 // "mid:<message-id>" or "body:<sha256>"
  std::string mail_from;                  // envelope sender, "" for <>
  std::string author_email, author_name;  // who wrote it (From)
  std::string contact_email;              // where answers go (Reply-To, else From)
  std::string title, body, message_id;
  std::vector<AttachmentIn> attachments;
  std::vector<std::string> problems;
  std::shared_ptr<const std::string> raw;  // the message as received
  std::string raw_sha256;
};

/// The result of delivering to one recipient.
struct Outcome {
  enum class Kind { created, noted, unsubscribed, duplicate, gone } kind = Kind::created;
  std::string ref;  // "acme/game#3"
};

struct Project {
  std::int64_t id = 0;
  std::string path, name, key;
  bool enabled = true;
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
  std::string author_kind, author, body;
  bool internal = false;
  std::int64_t created_at = 0;
};
struct AttachmentView {
  std::string filename, content_type, sha256;
  std::int64_t size = 0;
};
struct ParticipantView {
  std::string email, reply_key;
  bool subscribed = true;
};
struct IssueDetail {
  IssueSummary summary;
  std::string description;
  std::vector<NoteView> notes;
  std::vector<AttachmentView> attachments;
  std::vector<ParticipantView> participants;
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

  static constexpr int kSchemaVersion = 1;

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
  virtual Outcome deliver(const Target& target, const Inbound& in) = 0;

  // --- administration -----------------------------------------------------
  virtual Project add_project(const std::string& path, const std::string& name,
                              const std::string& key, const std::vector<std::string>& aliases) = 0;
  virtual std::vector<Project> list_projects() = 0;
  virtual std::vector<IssueSummary> list_issues(const IssueFilter& f) = 0;
  virtual std::optional<IssueDetail> show_issue(const std::string& ref) = 0;
};

/// Opens the store named by a SOCI connection string ("sqlite3://db=PATH").
/// `wait` bounds how long a transaction waits for the database lock.
std::unique_ptr<Store> open(const std::string& connection, std::chrono::milliseconds wait);

/// A new 128-bit key from the kernel CSPRNG, as 32 lower-case hex digits.
std::string random_key();

/// Splits "group/project#42" into path and iid; nullopt if malformed.
std::optional<std::pair<std::string, std::int64_t>> parse_ref(const std::string& ref);

}  // namespace store
