// desk.h: the desk's rules, the one place that decides them for deskmaild,
// deskmail and deskmail-web alike (DESIGN.md section 2; docs/architecture.md).
//
// Desk is what the programs call; it decides (who is a responder, what is
// mailed to whom, reopen, threading, rate limits, which outbox rows an action
// causes) and asks the store only to store, through store's narrow
// repository interfaces. The CLI and the web desk never call the store for
// anything a rule decides.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/defaults.h"
#include "desk/fixes.h"
#include "store/store.h"

namespace desk {

struct LabelChange;

/// Input a person gave that the rules refuse (a malformed path, a key that
/// is taken by the address format): the CLI shows it as a usage error.
class Invalid : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A new project as an admin asks for it; the key is derived from the path
/// when empty ("acme/game" -> "acme-game").
struct ProjectSpec {
  std::string path, name, key;
  std::vector<std::string> aliases;
};

/// True for a project path: segments of [a-z0-9._-] separated by '/'.
bool valid_path(const std::string& path);

/// A repository as bindings store it and pushes name it: a forge's URL
/// lower case, without a trailing '/' or ".git"; a path without a trailing
/// '/'.
std::string normalize_repo(const std::string& forge, const std::string& repo);

/// What the files of one note may be (issue 23): the same per-message
/// limits a received mail meets (common/defaults.h, deskmail.yaml(5)).
struct FileLimits {
  /// limits.store_per_message: the files' bytes together; 0: no limit.
  std::uint64_t store_per_message = common::defaults::store_per_message.value;
  /// limits.message_size: the answer mailed (files in base64) must fit.
  std::uint64_t message_size = common::defaults::message_size.value;
  /// limits.mime_parts: the answer's parts, files and text together.
  std::uint64_t mime_parts = common::defaults::mime_parts.value;

  /// The most bytes of files one note may carry: store_per_message, and
  /// what base64 (4 bytes for 3) lets through message_size with 64 KiB
  /// left for the text and header.
  std::uint64_t bytes() const;
  /// The most files one note may carry (its text parts counted).
  std::uint64_t files() const;
};

class Desk {
 public:
  /// `composer` writes the mails an action causes (null: none are queued).
  Desk(store::Store& store, store::Composer* composer);

  /// The clock the rules read (Unix seconds): the time stored on rows, and
  /// the windows of the rate limits. Defaults to the system clock.
  void set_clock(std::function<std::int64_t()> now);
  /// The desk's hourly cap on mails to addresses a sender chose
  /// (limits.confirmations_per_hour) for the actions of responders; a
  /// delivery carries its own (store::Inbound). 0: no limit.
  void set_unsolicited_per_hour(std::uint32_t n) { unsolicited_per_hour_ = n; }
  /// The limits on the files of a note (add_note).
  void set_file_limits(const FileLimits& limits) { file_limits_ = limits; }
  const FileLimits& file_limits() const { return file_limits_; }
  /// The desk's own mail domain: never a participant.
  void set_own_domain(std::string domain) { own_domain_ = std::move(domain); }

  // --- administration ------------------------------------------------------
  /// Validates and normalises `spec` (throws Invalid) and adds the project.
  store::Project add_project(const ProjectSpec& spec);
  std::vector<store::Project> projects();
  void set_project_flag(const std::string& path, const std::string& flag, bool on);
  void add_member(const std::string& path, const std::string& email);
  bool remove_member(const std::string& path, const std::string& email);
  void set_template(const std::string& path, store::MailKind kind, const std::string& subject,
                    const std::string& body);
  /// Whether member `email` gets the members' mails of the project (new
  /// issues, replies); false when no member.
  bool set_member_notify(const std::string& path, const std::string& email, bool on);

  // --- labels (desk/tracker.h) ----------------------------------------------
  /// The project's labels, by name.
  std::vector<store::Label> labels(const std::string& path);
  /// Adds a label (valid_label, valid_colour; throws Invalid, or
  /// store::Error when the project has it already).
  store::Label add_label(const std::string& path, const std::string& name,
                         const std::string& colour);
  /// Removes the label from the project and its issues; false when there was none.
  bool remove_label(const std::string& path, const std::string& name);

  // --- the queue -----------------------------------------------------------
  /// The issues `filter` selects (checked_filter: throws Invalid), each with
  /// its assignee and labels. The filters: project, state, assignee ("" for
  /// none), labels (all of them), search words (each in the title,
  /// description or a note), spam; sorted by number, created or updated.
  std::vector<store::IssueSummary> issues(const store::IssueFilter& filter);
  std::optional<store::IssueDetail> issue(const std::string& ref);
  /// Assigns REF to project member `email`, or to nobody (""), as `actor`
  /// (recorded in a system note). False when it was so already. Throws
  /// Invalid for an address that is no member.
  bool assign(const std::string& ref, const std::string& email, const std::string& actor);
  /// Puts labels on REF and takes others off, as `actor`; every name must be
  /// a label of the project (else Invalid, nothing changes).
  LabelChange relabel(const std::string& ref, const std::vector<std::string>& add,
                      const std::vector<std::string>& remove, const std::string& actor);

  // --- the conversation ----------------------------------------------------
  /// Adds a responder's note to REF, with the files of note.attachments
  /// (described by the composer, stored like a mail's attachments); a
  /// public one is mailed, files attached, to every subscribed customer,
  /// its Markdown text also as HTML. Returns the number of mails queued.
  /// Throws Invalid, with nothing stored or queued, for files over the
  /// FileLimits.
  int add_note(const std::string& ref, const store::NoteIn& note);
  /// Closes ("closed") or reopens ("opened") REF as `actor` (recorded in a
  /// system note); mails queued, -1 unchanged.
  int set_state(const std::string& ref, const std::string& state, const std::string& actor = "");
  /// Quarantines or releases REF; mails queued, -1 unchanged.
  int set_spam(const std::string& ref, bool spam);
  /// Adds `email` to REF as a Cc participant with its own reply key: it
  /// gets the public answers from now on, not the history. Throws Invalid
  /// for a project member, the desk's own address or a malformed one.
  /// False: already a participant (subscribed again if it had stopped).
  bool add_participant(const std::string& ref, const std::string& email);
  /// Stops the mail to a participant of REF (kept, unsubscribed); false
  /// when it is none.
  bool remove_participant(const std::string& ref, const std::string& email);

  // --- fixes from commits (desk/fixes.h) --------------------------------------
  /// Binds repository `b.repo` of forge `b.forge` to project `path` (throws
  /// Invalid for a forge other than git, gitlab, github, gitea; a git repo
  /// that is no absolute path; a forge's that is no http(s) URL; a forge
  /// without a secret; a commit URL without %H; a malformed branch).
  store::HookBinding add_hook(const std::string& path, store::HookBinding b);
  /// The bindings of project `path`, or of every project.
  std::vector<store::HookBinding> hooks(const std::optional<std::string>& path);
  /// False when the project had no such binding.
  bool remove_hook(const std::string& path, const std::string& forge, const std::string& repo);
  /// The bindings of a repository (what a webhook checks its secret against).
  std::vector<store::HookBinding> find_hooks(const std::string& forge, const std::string& repo);
  /// Acts on a push or merge, all of it in one transaction (desk/fixes.h).
  /// At most `refs_per_commit` issues per commit.
  FixResult fix_push(const FixPush& push, std::size_t refs_per_commit);

  // --- intake (deskmaild) --------------------------------------------------
  /// One message for one recipient, in one transaction: all or nothing
  /// (desk/intake.h). Throws store::Unavailable (or another exception) when
  /// nothing was stored.
  store::Outcome deliver(const store::Target& target, const store::Inbound& in);

 private:
  store::Store& store_;
  store::Composer* composer_;
  std::function<std::int64_t()> now_;
  std::uint32_t unsolicited_per_hour_ = common::defaults::confirmations_per_hour.value;
  std::string own_domain_;
  FileLimits file_limits_;
};

}  // namespace desk
