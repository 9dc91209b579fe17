// mailer.h: who is mailed what, inside the transaction that causes it
// (DESIGN.md section 6). Every mail is composed through the store::Composer
// and queued through the outbox repository of the same unit of work.
#pragma once

#include <cstdint>
#include <span>
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
  /// `unsolicited_per_hour`: the desk's hourly cap on mails to addresses a
  /// sender chose (confirmations, Cc participants); 0: no limit.
  Mailer(store::Tx& tx, store::Composer* composer, std::int64_t now,
         std::uint32_t unsolicited_per_hour = 0)
      : tx_(tx), composer_(composer), now_(now), unsolicited_per_hour_(unsolicited_per_hour) {}

  /// False when nothing is mailed (no composer).
  bool on() const { return composer_ != nullptr; }
  /// Mails queued so far.
  int queued() const { return queued_; }
  std::int64_t now() const { return now_; }

  /// Queues one mail of `kind` about `issue` to `to`, with the project's
  /// template for `kind`; its Message-ID joins the issue's thread.
  /// `unsolicited`: to an address the sender chose (confirmations are
  /// always); counted toward the hourly cap.
  void queue(const store::IssueRow& issue, store::MailKind kind, const store::Participant& to,
             const std::vector<std::string>& refs, std::string_view note, const std::string& author,
             bool unsolicited = false);

  /// Mails every subscribed customer of `issue` except `author`, then its
  /// Cc participants while the hourly cap allows; returns how many.
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

  /// The commit that closed the issue, for the closed mails queued next
  /// (%{FIX_TITLE}, %{FIX_URL}); empty: none named.
  void set_fix(std::string title, std::string url) {
    fix_title_ = std::move(title);
    fix_url_ = std::move(url);
  }

  /// The files of the answer, for the new_note mails queued next (they
  /// must outlive the Mailer's use of them).
  void set_files(std::span<const store::AttachmentIn> files) { files_ = files; }

  /// At most `per_day` confirmations to one address a day, and `per_hour`
  /// from the whole desk to anyone (0: no limit): two auto-responders
  /// answering each other stay bounded, and no rotation of forged senders
  /// makes the desk send more than the hourly cap.
  bool confirmation_allowed(const std::string& email, std::uint32_t per_day,
                            std::uint32_t per_hour);
  /// False once the desk sent its hourly cap of unsolicited mails.
  bool unsolicited_allowed(std::uint32_t per_hour);

 private:
  store::Tx& tx_;
  store::Composer* composer_;
  std::int64_t now_;
  std::uint32_t unsolicited_per_hour_;
  int queued_ = 0;
  std::string fix_title_, fix_url_;
  std::span<const store::AttachmentIn> files_;
};

}  // namespace desk
