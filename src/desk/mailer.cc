// mailer.cc: composing and queueing the mails an action causes.
#include "desk/mailer.h"

#include "common/ascii.h"

namespace desk {

bool same_address(const std::string& a, const std::string& b) {
  return common::iequals(a, b);
}

std::vector<std::string> thread_refs(const store::IssueRow& issue, const std::string& latest) {
  std::vector<std::string> refs;
  if (!issue.message_id.empty()) refs.push_back(issue.message_id);
  if (!latest.empty() && latest != issue.message_id) refs.push_back(latest);
  return refs;
}

void Mailer::queue(const store::IssueRow& issue, store::MailKind kind, const store::Participant& to,
                   const std::vector<std::string>& refs, std::string_view note,
                   const std::string& author, bool unsolicited) {
  if (!composer_) return;
  ++queued_;
  store::Template tmpl = tx_.projects().template_for(issue.project.id, kind);
  store::MailContext ctx;
  ctx.kind = kind;
  ctx.project_path = issue.project.path;
  ctx.project_name = issue.project.name;
  ctx.iid = issue.iid;
  ctx.issue_title = issue.title;
  ctx.issue_description = issue.description;
  ctx.issue_state = issue.state;
  ctx.note_text = note;
  ctx.note_author = author;
  ctx.to_email = to.email;
  ctx.to_name = to.name;
  ctx.reply_key = to.reply_key;
  ctx.references = refs;
  ctx.template_subject = std::move(tmpl.subject);
  ctx.template_body = std::move(tmpl.body);
  // A responder's answer is Markdown: mailed as written and as HTML, with
  // the files sent with it (issue 23).
  if (kind == store::MailKind::new_note) {
    ctx.note_markdown = true;
    ctx.files = files_;
  }
  if (kind == store::MailKind::closed) {
    ctx.fix_title = fix_title_;
    ctx.fix_url = fix_url_;
  }
  store::OutMail m = composer_->compose(ctx);
  m.unsolicited = unsolicited || kind == store::MailKind::thank_you;
  tx_.outbox().add(kind, issue.id, to.email, m, now_);
  tx_.issues().remember(m.message_id, issue.id);
}

int Mailer::customers(const store::IssueRow& issue, store::MailKind kind,
                      const std::vector<std::string>& refs, std::string_view note,
                      const std::string& author) {
  if (!composer_) return 0;
  int n = 0;
  for (const auto& p : tx_.participants().subscribed(issue.id, "customer")) {
    if (same_address(p.email, author)) continue;
    queue(issue, kind, p, refs, note, author);
    ++n;
  }
  // Cc'd by a customer: they never wrote to us, so each mail counts toward
  // the hourly cap, like a confirmation (issue 23).
  for (const auto& p : tx_.participants().subscribed(issue.id, "cc")) {
    if (same_address(p.email, author)) continue;
    if (!unsolicited_allowed(unsolicited_per_hour_)) break;
    queue(issue, kind, p, refs, note, author, true);
    ++n;
  }
  return n;
}

void Mailer::members(const store::IssueRow& issue, store::MailKind kind,
                     const std::vector<std::string>& refs, std::string_view note,
                     const std::string& author) {
  if (!composer_) return;
  // Members who turned their mail off (notify off) get none.
  for (const auto& m : tx_.projects().notified_members(issue.project.id)) {
    if (same_address(m, author)) continue;
    store::Participant want{0, m, "", store::random_key()};
    store::Participant member = tx_.participants().ensure(issue.id, want, "member", now_);
    queue(issue, kind, member, refs, note, author);
  }
}

bool Mailer::confirmation_allowed(const std::string& email, std::uint32_t per_day,
                                  std::uint32_t per_hour) {
  if (!unsolicited_allowed(per_hour)) return false;
  if (per_day == 0) return true;
  return tx_.outbox().count_to(email, store::MailKind::thank_you, now_ - 86400) <
         static_cast<std::int64_t>(per_day);
}

bool Mailer::unsolicited_allowed(std::uint32_t per_hour) {
  return per_hour == 0 ||
         tx_.outbox().count_unsolicited(now_ - 3600) < static_cast<std::int64_t>(per_hour);
}

}  // namespace desk
