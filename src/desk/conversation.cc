// conversation.cc: notes, state changes and who hears of them.
#include "desk/conversation.h"

#include "desk/quick_actions.h"
#include "desk/tracker.h"

namespace desk {

using store::MailKind;
using store::Outcome;

std::int64_t issue_id_of(store::Tx& tx, const std::string& ref) {
  auto pr = store::parse_ref(ref);
  if (!pr) throw store::Error("not an issue reference: " + ref + " (expected group/project#N)");
  auto id = tx.issues().find(pr->first, pr->second);
  if (!id) throw store::Error("no issue " + ref);
  return *id;
}

namespace {

// Who a mail to a reply address speaks for (DESIGN.md sections 4 and 10):
// the participant the key was issued to, never From. A member's key speaks
// as the desk only when From is that member and the site vouches for it.
struct Speaker {
  std::string email;  // the key's participant (the note's author)
  bool member = false;
  bool proven = false;  // for a member: may answer customers
};

Speaker speaker(store::Tx& tx, const store::Target& target, const store::Inbound& in,
                const std::string& from) {
  Speaker s{from, false, in.author_proven};
  if (!target.participant_id) return s;
  auto row = tx.participants().get(target.participant_id);
  if (!row) return s;
  s.email = row->first.email;
  s.member = row->second == "member";
  s.proven = in.author_proven && same_address(from, s.email);
  return s;
}

}  // namespace

Outcome note_from_mail(store::Tx& tx, Mailer& mail, const store::Target& target,
                       const store::Inbound& in, std::int64_t raw_id, const std::string& problems) {
  store::IssueRow issue = tx.issues().get(target.issue_id);
  std::string from = in.author_email.empty() ? in.mail_from : in.author_email;
  Speaker who = speaker(tx, target, in, from);
  bool responder = who.member && who.proven;
  // A member's key without the site's proof: kept for the team, internal and
  // marked, mailed to no customer; the member is told.
  bool unverified_member = who.member && !who.proven;
  std::string author = who.email;
  // Only a proven member's reply acts (quick_actions.h); anyone else's
  // command lines are text.
  QuickActions qa;
  if (responder && !in.automated && !in.spam) {
    qa = parse_quick_actions(in.body);
    if (qa.any() && qa.understood()) check_quick_actions(tx, issue, author, qa);
  }
  bool refused = qa.any() && !qa.understood();
  bool acting = qa.any() && !refused;
  store::NewNote note;
  note.issue_id = issue.id;
  note.author_kind = who.member ? "responder" : "customer";
  note.author = author;
  // Internal: unverified, refused commands, /internal, or nothing but commands.
  note.internal =
      unverified_member || refused ||
      (acting && (qa.internal || qa.body.find_first_not_of(" \t\r\n") == std::string::npos));
  note.verified = who.proven;
  note.participant_id = target.participant_id;
  note.body = acting ? qa.body : in.body;
  note.full_body = in.full_body.empty() ? in.body : in.full_body;
  note.message_id = in.message_id;
  note.raw_message_id = raw_id;
  note.problems = problems;
  note.created_at = mail.now();
  note.spam = in.spam;
  std::int64_t note_id = tx.notes().add(note);
  if (in.spam) {
    // Quarantined: kept, but it neither reopens nor reaches anyone.
    tx.issues().remember(in.message_id, issue.id);
    return {Outcome::Kind::quarantined, issue.ref()};
  }
  tx.issues().touch(issue.id, mail.now());
  tx.blobs().attachments(in.attachments, issue.id, note_id);
  tx.issues().remember(in.message_id, issue.id);
  std::vector<std::string> refs = thread_refs(issue, in.message_id);
  if (unverified_member) {
    if (!in.automated && mail.on()) {
      auto row = tx.participants().get(target.participant_id);
      mail.queue(issue, MailKind::member_unverified, row->first, refs, in.body, author);
    }
    return {Outcome::Kind::noted, issue.ref()};
  }
  if (responder) {
    if (refused) {
      std::string told;
      for (const auto& p : qa.problems) told += p + "\n";
      auto row = tx.participants().get(target.participant_id);
      if (mail.on() && row)
        mail.queue(issue, MailKind::member_actions_refused, row->first, refs, told, author);
      return {Outcome::Kind::noted, issue.ref()};
    }
    QuickResult done;
    if (acting) done = apply_quick_actions(tx, issue, author, qa, mail.now());
    if (!in.automated && !note.internal)
      mail.customers(issue, MailKind::new_note, refs, note.body, author);
    // /internal keeps the whole reply from the customers, the state's mail too.
    if (done.state && !qa.internal) {
      issue.state = *done.state;
      mail.customers(issue, *done.state == "closed" ? MailKind::closed : MailKind::reopened, refs,
                     "", "");
    }
    return {Outcome::Kind::noted, issue.ref()};
  }
  if (issue.state == "closed" && issue.project.settings.reopen_on_reply && !in.automated) {
    tx.issues().set_state(issue.id, "opened", std::nullopt, mail.now());
    system_note(tx, issue.id, author, "reopened by the customer's reply", mail.now());
    issue.state = "opened";
  }
  if (issue.project.settings.notify_members)
    mail.members(issue, MailKind::member_note, refs, in.body, author);
  return {Outcome::Kind::noted, issue.ref()};
}

int add_note(store::Tx& tx, Mailer& mail, const std::string& ref, const store::NoteIn& in) {
  std::int64_t id = issue_id_of(tx, ref);
  store::IssueRow issue = tx.issues().get(id);
  store::NewNote note;
  note.issue_id = id;
  note.author_kind = in.author_kind;
  note.author = in.author;
  note.body = in.body;
  note.full_body = in.body;
  note.internal = in.internal;
  note.created_at = mail.now();
  std::int64_t note_id = tx.notes().add(note);
  tx.blobs().attachments(in.attachments, id, note_id);
  tx.issues().touch(id, mail.now());
  // Internal notes never reach the outbox.
  if (in.internal) return 0;
  mail.set_files(in.attachments);
  return mail.customers(issue, MailKind::new_note, thread_refs(issue, ""), in.body, in.author);
}

int set_state(store::Tx& tx, Mailer& mail, const std::string& ref, const std::string& state,
              const std::string& actor) {
  std::int64_t id = issue_id_of(tx, ref);
  store::IssueRow issue = tx.issues().get(id);
  if (issue.state == state) {
    tx.discard();
    return -1;
  }
  bool closing = state == "closed";
  tx.issues().set_state(id, state, closing ? std::optional(mail.now()) : std::nullopt, mail.now());
  system_note(tx, id, actor, closing ? "closed" : "reopened", mail.now());
  issue.state = state;
  return mail.customers(issue, closing ? MailKind::closed : MailKind::reopened,
                        thread_refs(issue, ""), "", "");
}

int set_spam(store::Tx& tx, Mailer& mail, const std::string& ref, bool spam) {
  std::int64_t id = issue_id_of(tx, ref);
  store::IssueRow issue = tx.issues().get(id);
  if (issue.spam == spam) {
    tx.discard();
    return -1;
  }
  tx.issues().set_spam(id, spam, mail.now());
  if (spam || !mail.on() || issue.never_answer) return 0;
  // Released: the confirmation it was held back from, unless one went out.
  if (tx.outbox().count_for(id, MailKind::thank_you) > 0 || !issue.project.settings.confirmation)
    return 0;
  std::vector<std::string> refs;
  if (!issue.message_id.empty()) refs.push_back(issue.message_id);
  int n = 0;
  for (const auto& p : tx.participants().subscribed(id, "customer")) {
    mail.queue(issue, MailKind::thank_you, p, refs, "", "");
    ++n;
  }
  return n;
}

}  // namespace desk
