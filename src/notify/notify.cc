// notify.cc: templates and outbound composition.
#include "notify/notify.h"

#include <ctime>

#include "common/ascii.h"
#include "mail/compose.h"
#include "mail/confirmation_writer.h"
#include "mail/markdown.h"
#include "mail/message.h"

namespace notify {

using store::MailKind;

Template default_template(MailKind kind) {
  switch (kind) {
    case MailKind::thank_you:
      return {"Re: %{ISSUE_TITLE} [%{ISSUE_PATH}]",
              "Thank you for your support request! We are tracking your request as\n"
              "ticket %{ISSUE_PATH}, and will respond as soon as we can.\n"
              "\n"
              "To add to this request, reply to this email.\n"
              "\n"
              "-- \n"
              "Stop mail about this request: %{UNSUBSCRIBE_URL}\n"};
    case MailKind::new_note:
      return {"Re: %{ISSUE_TITLE} [%{ISSUE_PATH}]",
              "%{NOTE_TEXT}\n"
              "\n"
              "-- \n"
              "Reply to this email to answer. Ticket %{ISSUE_PATH}.\n"
              "Stop mail about this request: %{UNSUBSCRIBE_URL}\n"};
    case MailKind::closed:
      return {"Re: %{ISSUE_TITLE} [%{ISSUE_PATH}] closed",
              "Your request %{ISSUE_PATH} has been closed.\n"
              "If something is still wrong, reply to this email and it is reopened.\n"
              "\n"
              "-- \n"
              "Stop mail about this request: %{UNSUBSCRIBE_URL}\n"};
    case MailKind::reopened:
      return {"Re: %{ISSUE_TITLE} [%{ISSUE_PATH}] reopened",
              "Your request %{ISSUE_PATH} has been reopened.\n"
              "\n"
              "-- \n"
              "Stop mail about this request: %{UNSUBSCRIBE_URL}\n"};
    case MailKind::member_new_issue:
      return {"[%{ISSUE_PATH}] %{ISSUE_TITLE}",
              "New request %{ISSUE_PATH} from %{AUTHOR}:\n"
              "\n"
              "%{ISSUE_DESCRIPTION}\n"
              "\n"
              "-- \n"
              "Reply to this email to answer the customer. Lines at the start of\n"
              "your reply act on the request: /close /reopen /assign me|EMAIL\n"
              "/unassign /label NAME... /unlabel NAME... /internal (not mailed).\n"};
    case MailKind::member_note:
      return {"Re: [%{ISSUE_PATH}] %{ISSUE_TITLE}",
              "%{AUTHOR} wrote on %{ISSUE_PATH}:\n"
              "\n"
              "%{NOTE_TEXT}\n"
              "\n"
              "-- \n"
              "Reply to this email to answer the customer. Lines at the start of\n"
              "your reply act on the request: /close /reopen /assign me|EMAIL\n"
              "/unassign /label NAME... /unlabel NAME... /internal (not mailed).\n"};
    case MailKind::member_unverified:
      return {"Not sent: your answer on [%{ISSUE_PATH}] %{ISSUE_TITLE}",
              "Your mail to %{ISSUE_PATH} was not verified by this site's mail\n"
              "authentication, so it was kept as an internal note and\n"
              "mailed to no customer. Answer again from your own address through\n"
              "the site's mail server, or with: deskmail reply %{ISSUE_PATH}\n"
              "\n"
              "%{NOTE_TEXT}\n"};
    case MailKind::member_actions_refused:
      return {"Not done: your answer on [%{ISSUE_PATH}] %{ISSUE_TITLE}",
              "Your mail to %{ISSUE_PATH} started with lines that were not\n"
              "understood, so none of them was done, and the whole mail was kept\n"
              "as an internal note, mailed to no customer:\n"
              "\n"
              "%{NOTE_TEXT}\n"
              "\n"
              "Quick actions: /close /reopen /assign me|EMAIL /unassign\n"
              "/label NAME... /unlabel NAME... /internal\n"};
    case MailKind::sign_in:
      return {"Your sign-in link for the support desk",
              "Someone, probably you, asked to sign in to the support desk\n"
              "in a web browser. Open this link and press the button to sign in:\n"
              "\n"
              "%{NOTE_TEXT}\n"
              "\n"
              "The link works once, for a short time. If you did not ask for it,\n"
              "ignore this mail: nobody can sign in without the link.\n"};
  }
  return {"[%{ISSUE_PATH}]", "%{NOTE_TEXT}\n"};
}

Template closed_by_fix_template() {
  return {"Re: %{ISSUE_TITLE} [%{ISSUE_PATH}] closed",
          "Your request %{ISSUE_PATH} has been closed by a fix:\n"
          "\n"
          "  %{FIX_TITLE}\n"
          "  %{FIX_URL}\n"
          "\n"
          "If something is still wrong, reply to this email and it is reopened.\n"
          "\n"
          "-- \n"
          "Stop mail about this request: %{UNSUBSCRIBE_URL}\n"};
}

namespace {

// Walks `tpl`, calling emit(text, "") for literal text and emit(value, NAME)
// for each known %{NAME}. One pass: substituted text is never scanned again.
template <class Emit>
void walk(std::string_view tpl, const std::map<std::string, std::string>& vars, Emit emit) {
  std::size_t i = 0, literal = 0;
  while (i < tpl.size()) {
    if (tpl[i] == '%' && i + 1 < tpl.size() && tpl[i + 1] == '{') {
      auto close = tpl.find('}', i + 2);
      if (close != std::string_view::npos && close - i < 64) {
        std::string_view name = tpl.substr(i + 2, close - i - 2);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        auto it = vars.find(std::string(name));
        if (it != vars.end()) {
          if (i > literal) emit(tpl.substr(literal, i - literal), std::string_view());
          emit(std::string_view(it->second), std::string_view(it->first));
          i = literal = close + 1;
          continue;
        }
      }
    }
    ++i;
  }
  if (tpl.size() > literal) emit(tpl.substr(literal), std::string_view());
}

// A run of the template's text as a paragraph, without the blank lines
// around it (the note's HTML makes its own blocks).
void text_paragraph(std::string& html, std::string_view text) {
  while (!text.empty() && (text.front() == '\n' || text.front() == '\r')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (!text.empty()) html += "<p>" + mail::text_to_html(text) + "</p>\n";
}

}  // namespace

std::string render(std::string_view tpl, const std::map<std::string, std::string>& vars) {
  std::string out;
  walk(tpl, vars, [&](std::string_view text, std::string_view) { out += text; });
  return out;
}

std::string render_html(std::string_view tpl, const std::map<std::string, std::string>& vars,
                        std::string_view title) {
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                     mail::html_escape(title) + "</title></head>\n<body>\n";
  std::string text;  // the template's text (and other values) since the last note
  walk(tpl, vars, [&](std::string_view piece, std::string_view name) {
    if (name != "NOTE_TEXT") {
      text += piece;
      return;
    }
    text_paragraph(html, text);
    text.clear();
    html += "<div>\n" + mail::markdown_to_html(piece) + "</div>\n";
  });
  text_paragraph(html, text);
  return html + "</body></html>\n";
}

namespace {
constexpr std::string_view kIdPrefix = "deskmail.";

}  // namespace

std::string new_message_id(const std::string& domain) {
  return std::string(kIdPrefix) + store::random_key() + "@" + domain;
}

bool is_own_message_id(std::string_view id, const std::string& domain) {
  while (!id.empty() && (id.front() == '<' || id.front() == ' ')) id.remove_prefix(1);
  while (!id.empty() && (id.back() == '>' || id.back() == ' ')) id.remove_suffix(1);
  auto at = id.rfind('@');
  if (at == std::string_view::npos || !common::iequals(id.substr(at + 1), domain)) return false;
  return id.size() > kIdPrefix.size() && common::iequals(id.substr(0, kIdPrefix.size()), kIdPrefix);
}

std::string reply_address(const Settings& s, const std::string& key) {
  return s.base_local + "+reply-" + key + "@" + s.base_domain;
}

std::string unsubscribe_address(const Settings& s, const std::string& key) {
  return s.base_local + "+reply-" + key + "-unsubscribe@" + s.base_domain;
}

std::map<std::string, std::string> variables(const store::MailContext& c, const Settings& s,
                                             const Template* only_for) {
  auto wanted = [&](std::string_view name) {
    return !only_for || only_for->subject.find(name) != std::string::npos ||
           only_for->body.find(name) != std::string::npos;
  };
  // emplace: an initializer list would copy every value twice, and the
  // description of a 100 KiB message is one of them.
  std::string path = c.project_path + "#" + std::to_string(c.iid);
  std::map<std::string, std::string> v;
  v.emplace("ISSUE_ID", std::to_string(c.iid));
  v.emplace("ISSUE_PATH", path);
  v.emplace("ISSUE_URL", std::move(path));
  v.emplace("ISSUE_TITLE", c.issue_title);
  if (wanted("ISSUE_DESCRIPTION")) v.emplace("ISSUE_DESCRIPTION", c.issue_description);
  if (wanted("NOTE_TEXT")) v.emplace("NOTE_TEXT", c.note_text);
  v.emplace("AUTHOR", c.note_author);
  v.emplace("PROJECT_NAME", c.project_name);
  v.emplace("PROJECT_PATH", c.project_path);
  v.emplace("UNSUBSCRIBE_URL", "mailto:" + unsubscribe_address(s, c.reply_key));
  v.emplace("FIX_TITLE", c.fix_title);
  v.emplace("FIX_URL", c.fix_url);
  v.emplace("SYSTEM_HEADER", "");
  v.emplace("SYSTEM_FOOTER", "");
  v.emplace("ADDITIONAL_TEXT", "");
  return v;
}

// A sign-in link to a member (the web desk): about no issue, so no reply
// key, no thread, nothing to unsubscribe from; bounces go to the desk.
namespace {
store::OutMail sign_in_mail(const Settings& s_, const Template& t,
                            const std::map<std::string, std::string>& vars, mail::Outgoing o) {
  o.subject = mail::header_safe(render(t.subject, vars));
  o.body = render(t.body, vars);
  o.message_id = new_message_id(s_.base_domain);
  o.headers.emplace_back("Auto-Submitted", "auto-generated");
  o.headers.emplace_back("X-Auto-Response-Suppress", "All");
  o.headers.emplace_back(kLoopHeader, s_.base_domain);
  o.date = std::time(nullptr);
  store::OutMail m;
  m.subject = o.subject;
  m.message_id = o.message_id;
  m.mail_from = s_.base_local + "@" + s_.base_domain;
  m.bytes = mail::compose(o);
  return m;
}
}  // namespace

store::OutMail Composer::compose(const store::MailContext& c) {
  Template t = c.kind == MailKind::closed && !c.fix_title.empty() ? closed_by_fix_template()
                                                                  : default_template(c.kind);
  if (!c.template_subject.empty()) t.subject = c.template_subject;
  if (!c.template_body.empty()) t.body = c.template_body;
  auto vars = variables(c, s_, &t);

  mail::Outgoing o;
  o.from = {s_.from_name, s_.base_local + "@" + s_.base_domain};
  o.to = {c.to_name, c.to_email};
  if (c.kind == MailKind::sign_in) return sign_in_mail(s_, t, vars, std::move(o));
  o.reply_to = reply_address(s_, c.reply_key);
  o.subject = mail::header_safe(render(t.subject, vars));
  o.body = render(t.body, vars);
  if (c.note_markdown) o.html = render_html(t.body, vars, o.subject);
  for (const auto& f : c.files) o.files.push_back({f.filename, f.content_type, f.bytes()});
  o.message_id = new_message_id(s_.base_domain);
  if (!c.references.empty()) {
    o.in_reply_to = c.references.back();
    o.references = c.references;
  }
  // RFC 3834: a confirmation is an auto-reply; everything else we send is
  // generated. Either way, auto-responders must not answer it.
  o.headers.emplace_back("Auto-Submitted",
                         c.kind == MailKind::thank_you ? "auto-replied" : "auto-generated");
  o.headers.emplace_back("X-Auto-Response-Suppress", "All");
  o.headers.emplace_back("List-Unsubscribe",
                         "<mailto:" + unsubscribe_address(s_, c.reply_key) + ">");
  o.headers.emplace_back(kLoopHeader, s_.base_domain);
  o.headers.emplace_back("X-Deskmail-Ticket", c.project_path + "#" + std::to_string(c.iid));
  o.date = std::time(nullptr);

  store::OutMail m;
  m.subject = o.subject;
  m.message_id = o.message_id;
  // Bounces come back to the participant's reply address (DESIGN.md 7).
  m.mail_from = reply_address(s_, c.reply_key);
  // The confirmation, the one mail every new issue causes, by the template
  // writer; the rest (replies may grow Markdown and attachments) by GMime.
  m.bytes = c.kind == MailKind::thank_you ? mail::write_plain(o) : mail::compose(o);
  return m;
}

void Composer::describe(store::AttachmentIn& a) {
  a.filename_sent = mail::header_safe(a.filename_sent, 1024);
  a.filename = mail::sanitize_filename(a.filename_sent);
  if (a.filename.empty()) a.filename = "attachment";
  std::string type = a.content_type;
  common::lower_in_place(type);
  a.content_type = mail::valid_content_type(type) ? type : mail::guess_content_type(a.filename);
  a.sha256 = mail::sha256_hex(a.bytes(), a.spooled.get());
}

}  // namespace notify
