// notify.h: what deskmail writes to customers and members. Templates with
// GitLab's placeholder names, built-in defaults, and the Composer that turns
// a store::MailContext into a finished message (DESIGN.md section 6).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "store/store.h"

namespace notify {

/// Our own header fields. Outbound mail carries kLoopHeader (our domain) so
/// that it is recognised when it comes back; inbound fields starting with
/// kInternalPrefix are removed at ingress.
inline constexpr const char* kLoopHeader = "X-Deskmail-Loop";
inline constexpr const char* kInternalPrefix = "X-Deskmail-";

/// A fresh Message-ID (without brackets) for mail we send from `domain`.
std::string new_message_id(const std::string& domain);
/// True for a Message-ID (with or without brackets) that new_message_id made
/// for `domain`.
bool is_own_message_id(std::string_view message_id, const std::string& domain);

struct Settings {
  std::string base_local = "desk";  // desk@support.example.com
  std::string base_domain = "support.example.com";
  std::string from_name = "Support";
};

struct Template {
  std::string subject, body;
};

/// The built-in template for a kind.
Template default_template(store::MailKind kind);
/// The built-in "closed" template when the mail names the fix (a commit that
/// closed the issue, in a project that discloses fixes): with %{FIX_TITLE}
/// and %{FIX_URL}.
Template closed_by_fix_template();

/// Replaces %{NAME} (spaces allowed inside the braces) with vars[NAME], in one
/// pass: substituted text is never scanned again, so customer text cannot
/// inject placeholders. Unknown names stay as written.
std::string render(std::string_view tpl, const std::map<std::string, std::string>& vars);

/// The same template as an HTML document titled `title`: %{NOTE_TEXT} as
/// Markdown (mail::markdown_to_html), everything else as escaped text.
std::string render_html(std::string_view tpl, const std::map<std::string, std::string>& vars,
                        std::string_view title);

/// The placeholder values for a context (ISSUE_ID, ISSUE_PATH, NOTE_TEXT,
/// FIX_TITLE and FIX_URL (empty unless a disclosed fix closed the issue), ...).
/// With `only_for`, the long texts (ISSUE_DESCRIPTION, NOTE_TEXT) are left
/// out unless that template names them: a confirmation does not copy the
/// description.
std::map<std::string, std::string> variables(const store::MailContext& ctx, const Settings& s,
                                             const Template* only_for = nullptr);

/// desk+reply-KEY@domain and its -unsubscribe form.
std::string reply_address(const Settings& s, const std::string& key);
std::string unsubscribe_address(const Settings& s, const std::string& key);

class Composer final : public store::Composer {
 public:
  explicit Composer(Settings s) : s_(std::move(s)) {}
  store::OutMail compose(const store::MailContext& ctx) override;
  void describe(store::AttachmentIn& file) override;

 private:
  Settings s_;
};

}  // namespace notify
