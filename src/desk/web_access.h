// web_access.h: who may use the web desk and what each member sees there
// (issue 21; DESIGN.md section 11). Sign-in by single-use links mailed
// through the outbox to project members, sessions in the database, and the
// rule that a member sees the issues of their own projects only.
//
// Tokens are made and hashed by the caller (deskmail-web: a CSPRNG and
// SHA-256); the rules take only hashes, and the link to mail, so nothing
// here stores a token that signs anyone in.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace desk {

/// The sign-in rules' numbers (deskmail.yaml web: section).
struct SignInPolicy {
  std::int64_t link_lifetime = 900;          // seconds a mailed link works
  std::int64_t session_lifetime = 43200;     // seconds a session lasts
  std::uint32_t links_per_address_hour = 5;  // 0: no limit
  std::uint32_t links_per_client_hour = 20;  // 0: no limit
};

/// What a sign-in link is, as its page shows it.
enum class LinkState { valid, used, expired, unknown };

/// What request_link did; the page shows the same for every value.
enum class LinkRequest { mailed, not_member, rate_limited, invalid };

class WebAccess {
 public:
  /// `composer` writes the sign-in mail (null: none is queued).
  WebAccess(store::Store& store, store::Composer* composer, SignInPolicy policy);
  /// The clock (Unix seconds); defaults to the system clock.
  void set_clock(std::function<std::int64_t()> now) { now_ = std::move(now); }

  // --- signing in ------------------------------------------------------------
  /// Records a request from `client` for a link to `email` and, when the
  /// address is a member of an enabled project and neither limit is reached
  /// (the request counts toward both either way), queues `link` (the URL
  /// with the token whose hash is `token_hash`) to it, in one transaction.
  LinkRequest request_link(const std::string& email, const std::string& client,
                           const std::string& token_hash, const std::string& link);
  /// The state of a link, without changing it (a GET of the link).
  LinkState link_state(const std::string& token_hash);
  /// Uses the link up and opens a session for its address (still a member),
  /// in one transaction; nullopt (and nothing changed) when the link is
  /// unknown, used or expired.
  std::optional<store::WebSession> redeem(const std::string& link_hash,
                                          const std::string& session_hash, const std::string& csrf);
  /// Opens a session for `email` vouched for by a trusted single sign-on
  /// proxy; nullopt when it is no member.
  std::optional<store::WebSession> open_session(const std::string& email,
                                                const std::string& session_hash,
                                                const std::string& csrf);
  /// The session, if it exists, has not expired and its member still is one.
  std::optional<store::WebSession> session(const std::string& session_hash);
  void sign_out(const std::string& session_hash);

  // --- what a member sees ------------------------------------------------------
  /// The paths of the enabled projects `email` is a member of, by path.
  std::vector<std::string> projects_of(const std::string& email);
  /// A queue page's reads in one unit of work: the member's projects, the
  /// issues of the member's projects `filter` selects and their count up to
  /// `cap` (the page read them in five before). Throws desk::Invalid for a
  /// malformed filter.
  struct QueuePage {
    std::vector<std::string> projects;
    std::vector<store::IssueSummary> issues;
    std::int64_t count = 0;
  };
  QueuePage queue_page(const std::string& email, const store::IssueFilter& filter,
                       std::int64_t cap);
  /// An issue's page in one unit of work: the issue (as issue() gives it),
  /// its project's members (assignees to offer) and labels; nullopt as for
  /// issue().
  struct IssuePage {
    store::IssueDetail detail;
    std::vector<std::string> members;
    std::vector<store::Label> labels;
  };
  std::optional<IssuePage> issue_page(const std::string& email, const std::string& ref);
  /// The issue, when it is in one of the member's projects; nullopt
  /// otherwise, the same as for an issue that does not exist.
  std::optional<store::IssueDetail> issue(const std::string& email, const std::string& ref);
  std::optional<std::pair<store::AttachmentView, std::string>> attachment(
      const std::string& email, const std::string& ref, std::int64_t attachment_id);
  std::optional<std::string> raw_message(const std::string& email, const std::string& ref);
  /// True when `ref` is an issue of one of the member's projects.
  bool may_see(const std::string& email, const std::string& ref);

 private:
  std::optional<std::int64_t> issue_id(store::Tx& tx, const std::string& email,
                                       const std::string& ref);
  store::Store& store_;
  store::Composer* composer_;
  SignInPolicy policy_;
  std::function<std::int64_t()> now_;
};

}  // namespace desk
