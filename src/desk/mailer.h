// mailer.h: who is mailed what, inside the transaction that causes it
// (DESIGN.md section 6). Every mail is composed through the store::Composer
// and queued through the outbox repository of the same unit of work.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/repository.h"

namespace desk {

/// Case-insensitive address comparison (ASCII), as the desk compares who
/// wrote with who is mailed.
bool same_address(const std::string& a, const std::string& b);

/// The thread a mail about `issue` answers: the issue's first Message-ID,
/// then `latest` (the mail being answered) unless it is the same.
std::vector<std::string> thread_refs(const store::IssueRow& issue, const std::string& latest);

class Mailer {
 public:
  /// `composer` null: no mail is queued at all (counts stay 0).
  Mailer(store::Tx& tx, store::Composer* composer, std::int64_t now)
      : tx_(tx), composer_(composer), now_(now) {}

  /// False when nothing is mailed (no composer).
  bool on() const { return composer_ != nullptr; }
  /// Mails queued so far.
  int queued() const { return queued_; }
  std::int64_t now() const { return now_; }

  /// Queues one mail of `kind` about `issue` to `to`, with the project's
  /// template for `kind`; its Message-ID joins the issue's thread.
  void queue(const store::IssueRow& issue, store::MailKind kind, const store::Participant& to,
             const std::vector<std::string>& refs, std::string_view note,
             const std::string& author);

  /// Mails every subscribed customer of `issue` except `author`; returns how many.
  int customers(const store::IssueRow& issue, store::MailKind kind,
                const std::vector<std::string>& refs, std::string_view note,
                const std::string& author);

  /// Mails every project member except `author` and those whose mail is
  /// off, each through a member
  /// participant of the issue (added on first use) so that they can answer
  /// by mail.
  void members(const store::IssueRow& issue, store::MailKind kind,
               const std::vector<std::string>& refs, std::string_view note,
               const std::string& author);

  /// At most `per_day` confirmations to one address a day, and `per_hour`
  /// from the whole desk to anyone (0: no limit): two auto-responders
  /// answering each other stay bounded, and no rotation of forged senders
  /// makes the desk send more than the hourly cap.
  bool confirmation_allowed(const std::string& email, std::uint32_t per_day,
                            std::uint32_t per_hour);

 private:
  store::Tx& tx_;
  store::Composer* composer_;
  std::int64_t now_;
  int queued_ = 0;
};

}  // namespace desk
