// intake.cc: dedupe, then bounce / rate limit / unsubscribe / new issue /
// note, in one unit of work per recipient.
#include "desk/intake.h"

#include "desk/conversation.h"

namespace desk {

using store::Outcome;
using store::Target;

std::optional<Target> thread_target(store::Tx& tx, std::int64_t project_id,
                                    const store::Inbound& in) {
  for (auto it = in.thread_ids.rbegin(); it != in.thread_ids.rend(); ++it) {
    auto hit = tx.issues().by_message_id(*it, project_id);
    if (!hit) continue;
    // Only a customer already on that issue continues it this way: anyone
    // who knows a Message-ID (everyone the customer Cc'd) can write one into
    // In-Reply-To, so without a key a mail never speaks for anyone else
    // (DESIGN.md section 4). Others open an issue of their own.
    auto part = tx.participants().find(hit->id, in.author_email);
    auto row = part ? tx.participants().get(*part) : std::nullopt;
    if (!row || row->second != "customer") continue;
    Target t;
    t.kind = Target::Kind::reply;
    t.project_id = project_id;
    t.issue_id = hit->id;
    t.project_path = hit->path;
    t.issue_ref = hit->path + "#" + std::to_string(hit->iid);
    t.participant_id = *part;
    return t;
  }
  return std::nullopt;
}

namespace {

// Where a dedupe key counts: a message is delivered once per project (new
// issues), per issue (replies) or per participant (unsubscriptions).
std::string dedupe_scope(const Target& target) {
  switch (target.kind) {
    case Target::Kind::project:
      return "project:" + std::to_string(target.project_id);
    case Target::Kind::reply:
      return "issue:" + std::to_string(target.issue_id);
    case Target::Kind::unsubscribe:
      return "unsubscribe:" + std::to_string(target.participant_id);
  }
  return "";
}

bool over_issue_limit(store::Tx& tx, const Target& target, const store::Inbound& in,
                      std::int64_t now) {
  if (target.kind != Target::Kind::project || in.new_issues_per_sender_hour == 0 ||
      in.author_email.empty())
    return false;
  return tx.issues().count_by_author(in.author_email, now - 3600) >=
         static_cast<std::int64_t>(in.new_issues_per_sender_hour);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

// The addresses in Cc of a new issue, as GitLab's external participants
// (issue 23): at most kCcParticipants, never a member or one of the desk's
// aliases (the delivery already left out the desk's own domain and automated
// senders). Nothing is mailed to them now: Cc is what the sender wrote, so
// they get no confirmation and no copy of the customer's text, only the
// desk's public answers from here on.
void add_cc_participants(store::Tx& tx, const store::IssueRow& issue, const store::Inbound& in,
                         std::int64_t now) {
  constexpr std::size_t kCcParticipants = 10;
  std::vector<std::string> members = tx.projects().members(issue.project.id);
  std::size_t added = 0;
  for (const auto& [email, name] : in.cc) {
    if (added == kCcParticipants) break;
    if (email.empty() || email.find('@') == std::string::npos) continue;
    if (same_address(email, in.author_email)) continue;
    bool member = false;
    for (const auto& m : members) member = member || same_address(m, email);
    if (member || tx.addresses().alias(email)) continue;
    if (tx.participants().find(issue.id, email)) continue;
    tx.participants().add(issue.id, {0, email, name, store::random_key()}, "cc", now);
    ++added;
  }
}

Outcome create_issue(store::Tx& tx, Mailer& mail, const Target& target, const store::Inbound& in,
                     std::int64_t raw_id, const std::string& problems) {
  auto numbered = tx.projects().next_iid(target.project_id);
  if (!numbered) throw store::Error("project vanished during delivery");
  store::IssueRow issue;
  issue.iid = numbered->first;
  issue.project = std::move(numbered->second);
  // A new issue keeps the whole text: a forward is all quote (GitLab does the same).
  const std::string& body = in.full_body.empty() ? in.body : in.full_body;
  store::NewIssue row;
  row.project_id = target.project_id;
  row.iid = issue.iid;
  row.title = in.title;
  row.description = body;
  row.author_email = in.author_email;
  row.author_name = in.author_name;
  row.message_id = in.message_id;
  row.problems = problems;
  row.spam_reason = in.spam_reason;
  row.raw_message_id = raw_id;
  row.created_at = mail.now();
  row.spam = in.spam;
  row.never_answer = in.never_answer;
  issue.id = tx.issues().add(row);
  // The customer is who wrote (From), never a Reply-To: a confirmation to
  // an address the sender chose would reflect their mail to a third party.
  const std::string& contact = in.author_email;
  store::Participant customer;
  if (!contact.empty()) {
    customer = {0, contact, in.author_name, store::random_key()};
    customer.id = tx.participants().add(issue.id, customer, "customer", mail.now());
  }
  tx.blobs().attachments(in.attachments, issue.id, 0);
  tx.issues().remember(in.message_id, issue.id);
  if (issue.project.settings.cc_participants && !in.spam)
    add_cc_participants(tx, issue, in, mail.now());
  if (mail.on() && !in.spam) {
    issue.title = std::move(row.title);
    issue.description = std::move(row.description);
    issue.state = "opened";
    issue.message_id = in.message_id;
    std::vector<std::string> refs;
    if (!in.message_id.empty()) refs.push_back(in.message_id);
    // Confirmed only when the envelope sender and From agree, or the site
    // vouches for From: otherwise the sender could be anyone.
    bool sender_agrees = in.author_proven || same_address(in.mail_from, contact);
    if (issue.project.settings.confirmation && !in.never_answer && !contact.empty() &&
        sender_agrees &&
        mail.confirmation_allowed(customer.email, in.confirmations_per_sender_day,
                                  in.confirmations_per_hour))
      mail.queue(issue, store::MailKind::thank_you, customer, refs, "", "");
    if (issue.project.settings.notify_members)
      mail.members(issue, store::MailKind::member_new_issue, refs, in.body, in.author_email);
  }
  return {in.spam ? Outcome::Kind::quarantined : Outcome::Kind::created, issue.ref()};
}

}  // namespace

Outcome intake(store::Tx& tx, Mailer& mail, const Target& target_in, const store::Inbound& in) {
  Target target = target_in;
  // A mail to a project address that answers one of our (or a received)
  // Message-IDs is a reply on that issue (DESIGN.md section 4).
  if (target.kind == Target::Kind::project && !in.thread_ids.empty()) {
    if (auto t = thread_target(tx, target.project_id, in)) target = *t;
  }
  std::string scope = dedupe_scope(target);
  // The dedupe row first: a second instance delivering the same message
  // waits on its key until this transaction ends, then finds it.
  if (!tx.dedupe().claim(scope, in.dedupe_key, mail.now())) {
    std::string prior = tx.dedupe().ref(scope, in.dedupe_key);
    tx.discard();
    return {Outcome::Kind::duplicate, prior};
  }
  if (in.bounce && target.kind != Target::Kind::project) {
    // A delivery status notification to a reply address: the mail we sent
    // that participant bounced. Recorded on the participant, not a note.
    if (target.participant_id) tx.participants().bounced(target.participant_id);
    tx.dedupe().set_ref(scope, in.dedupe_key, target.issue_ref);
    return {Outcome::Kind::bounce, target.issue_ref};
  }
  if (over_issue_limit(tx, target, in, mail.now())) {
    tx.discard();  // not even the dedupe key: the MTA's retry is a new try
    return {Outcome::Kind::rate_limited, ""};
  }
  Outcome out;
  if (target.kind == Target::Kind::unsubscribe) {
    tx.participants().unsubscribe(target.participant_id);
    out = {Outcome::Kind::unsubscribed, target.issue_ref};
  } else {
    std::int64_t raw_id = tx.blobs().raw(in, mail.now());
    std::string problems = joined(in.problems);
    if (target.kind == Target::Kind::project)
      out = create_issue(tx, mail, target, in, raw_id, problems);
    else
      out = note_from_mail(tx, mail, target, in, raw_id, problems);
  }
  tx.dedupe().set_ref(scope, in.dedupe_key, out.ref);
  return out;
}

}  // namespace desk
