// store.cc: the store's shortcuts (one unit of work each), mail kind names,
// and the text repair of an inbound message.
#include "store/store.h"

namespace store {

std::int64_t project_id(Tx& tx, const std::string& path) {
  auto id = tx.projects().id_of(path);
  if (!id) throw Error("no project " + path);
  return *id;
}

std::optional<Target> Store::find_project_key(const std::string& key) {
  return read([&](Tx& tx) { return tx.addresses().project_key(key); });
}

std::optional<Target> Store::find_alias(const std::string& address) {
  return read([&](Tx& tx) { return tx.addresses().alias(address); });
}

std::optional<Target> Store::find_reply_key(const std::string& key, bool unsubscribe) {
  return read([&](Tx& tx) { return tx.addresses().reply_key(key, unsubscribe); });
}

std::vector<OutboxItem> Store::claim_outbox(int limit, std::int64_t lease_until,
                                            const std::string& owner) {
  return transact([&](Tx& tx) { return tx.outbox().claim(limit, lease_until, owner); });
}

int Store::release_claims(const std::string& owner) {
  return transact([&](Tx& tx) { return tx.outbox().release(owner); });
}

void Store::outbox_sent(std::int64_t id) {
  transact([&](Tx& tx) { tx.outbox().sent(id); });
}

void Store::outbox_failed(std::int64_t id, const std::string& error, bool permanent,
                          std::int64_t next_attempt_at) {
  transact([&](Tx& tx) { tx.outbox().failed(id, error, permanent, next_attempt_at); });
}

void Store::outbox_record(const std::vector<OutboxAttempt>& attempts,
                          const std::string& release_owner) {
  transact([&](Tx& tx) {
    for (const auto& a : attempts) {
      if (a.sent)
        tx.outbox().sent(a.id);
      else
        tx.outbox().failed(a.id, a.error, a.permanent, a.next_attempt_at);
    }
    if (!release_owner.empty()) tx.outbox().release(release_owner);
  });
}

std::vector<OutboxItem> Store::list_outbox(const std::optional<std::string>& state) {
  return read([&](Tx& tx) { return tx.outbox().list(state); });
}

bool Store::retry_outbox(std::int64_t id) {
  return transact([&](Tx& tx) {
    bool found = tx.outbox().retry(id);
    if (!found) tx.discard();
    return found;
  });
}

Project Store::add_project(const std::string& path, const std::string& name, const std::string& key,
                           const std::vector<std::string>& aliases) {
  return transact([&](Tx& tx) { return tx.projects().add(path, name, key, aliases); });
}

std::vector<Project> Store::list_projects() {
  return read([&](Tx& tx) { return tx.projects().list(); });
}

std::optional<Project> Store::find_project(const std::string& path) {
  for (auto& p : list_projects())
    if (p.path == path) return p;
  return std::nullopt;
}

void Store::set_project_flag(const std::string& path, const std::string& flag, bool on) {
  if (flag != "confirmation" && flag != "notify_members" && flag != "reopen_on_reply" &&
      flag != "cc_participants" && flag != "disclose_fixes")
    throw Error("unknown project setting " + flag);
  transact([&](Tx& tx) { tx.projects().set_flag(project_id(tx, path), flag, on); });
}

void Store::add_member(const std::string& path, const std::string& email) {
  transact([&](Tx& tx) { tx.projects().add_member(project_id(tx, path), email); });
}

bool Store::remove_member(const std::string& path, const std::string& email) {
  return transact([&](Tx& tx) { return tx.projects().remove_member(project_id(tx, path), email); });
}

void Store::set_template(const std::string& path, MailKind kind, const std::string& subject,
                         const std::string& body) {
  transact([&](Tx& tx) { tx.projects().set_template(project_id(tx, path), kind, subject, body); });
}

std::vector<IssueSummary> Store::list_issues(const IssueFilter& f) {
  return read([&](Tx& tx) { return tx.issues().list(f); });
}

std::optional<IssueDetail> Store::show_issue(const std::string& ref) {
  auto pr = parse_ref(ref);
  if (!pr) throw Error("not an issue reference: " + ref + " (expected group/project#N)");
  return read([&](Tx& tx) { return tx.issues().detail(pr->first, pr->second); });
}

std::vector<std::string> Store::check() {
  return read([&](Tx& tx) { return tx.checks().problems(); });
}

void Composer::describe(AttachmentIn&) {
  throw Error("this composer sends no files");
}

const char* mail_kind_name(MailKind k) {
  switch (k) {
    case MailKind::thank_you:
      return "thank_you";
    case MailKind::new_note:
      return "new_note";
    case MailKind::closed:
      return "closed";
    case MailKind::reopened:
      return "reopened";
    case MailKind::member_new_issue:
      return "member_new_issue";
    case MailKind::member_note:
      return "member_note";
    case MailKind::member_unverified:
      return "member_unverified";
    case MailKind::member_actions_refused:
      return "member_actions_refused";
    case MailKind::sign_in:
      return "sign_in";
  }
  return "?";
}

std::optional<MailKind> mail_kind_from(const std::string& name) {
  for (auto k : {MailKind::thank_you, MailKind::new_note, MailKind::closed, MailKind::reopened,
                 MailKind::member_new_issue, MailKind::member_note, MailKind::member_unverified,
                 MailKind::member_actions_refused})
    if (name == mail_kind_name(k)) return k;
  return std::nullopt;
}

namespace {
// Calls `f` on every text field of an Inbound.
template <class In, class F>
void each_text(In& in, F f) {
  for (auto* v :
       {&in.dedupe_key, &in.mail_from, &in.author_email, &in.author_name, &in.contact_email,
        &in.title, &in.body, &in.message_id, &in.full_body, &in.spam_reason})
    f(*v);
  for (auto& v : in.thread_ids) f(v);
  for (auto& v : in.problems) f(v);
  for (auto& a : in.attachments) {
    f(a.filename_sent);
    f(a.filename);
    f(a.content_type);
    f(a.sha256);
  }
}
}  // namespace

std::optional<Inbound> repaired(const Inbound& in) {
  bool clean = true;
  each_text(in, [&](const std::string& v) { clean = clean && is_clean_text(v); });
  if (clean) return std::nullopt;
  std::optional<Inbound> out = in;
  each_text(*out, [](std::string& v) { v = clean_text(v); });
  return out;
}

}  // namespace store
