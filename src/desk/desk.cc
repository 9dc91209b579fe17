// desk.cc: the desk's rules (see desk.h).
#include "desk/desk.h"

#include <algorithm>
#include <ctime>

#include "desk/conversation.h"
#include "desk/intake.h"
#include "desk/mailer.h"
#include "desk/tracker.h"
#include "route/route.h"

namespace desk {

bool valid_path(const std::string& p) {
  if (p.empty() || p.size() > 200 || p.front() == '/' || p.back() == '/') return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    auto slash = p.find('/', start);
    std::string seg =
        p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!route::valid_project_key(seg)) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

std::uint64_t FileLimits::bytes() const {
  constexpr std::uint64_t kRoom = 65536;  // the text parts and the header
  std::uint64_t encoded = message_size > kRoom ? (message_size - kRoom) / 4 * 3 : 0;
  return store_per_message == 0 ? encoded : std::min(store_per_message, encoded);
}

std::uint64_t FileLimits::files() const {
  return mime_parts > 4 ? mime_parts - 4 : 0;  // mixed, alternative, text, html
}

namespace {

// The files of a note within `lim` (else Invalid), each described.
void check_files(std::vector<store::AttachmentIn>& files, const FileLimits& lim,
                 store::Composer* composer) {
  if (files.empty()) return;
  if (files.size() > lim.files())
    throw Invalid(std::to_string(files.size()) + " files are more than a note may carry (" +
                  std::to_string(lim.files()) + ", limits.mime_parts)");
  std::uint64_t total = 0;
  for (const auto& f : files) total += f.bytes().size();
  if (total > lim.bytes())
    throw Invalid("the files come to " + std::to_string(total) + " bytes, more than the " +
                  std::to_string(lim.bytes()) +
                  " a note may carry (limits.store_per_message, and limits.message_size "
                  "once encoded)");
  if (!composer) throw store::Error("files need a composer to describe them");
  for (auto& f : files) composer->describe(f);
}

}  // namespace

Desk::Desk(store::Store& store, store::Composer* composer)
    : store_(store), composer_(composer), now_([] { return std::int64_t(std::time(nullptr)); }) {}

void Desk::set_clock(std::function<std::int64_t()> now) {
  now_ = std::move(now);
}

store::Project Desk::add_project(const ProjectSpec& spec) {
  std::string p = route::lower(spec.path);
  if (!valid_path(p))
    throw Invalid("invalid project path '" + spec.path +
                  "': segments of [a-z0-9._-] separated by '/', like acme/game");
  std::string key = spec.key.empty() ? p : spec.key;
  for (auto& c : key)
    if (c == '/') c = '-';
  key = route::lower(key);
  if (!route::valid_project_key(key) || key.rfind("reply-", 0) == 0)
    throw Invalid("invalid project key '" + key + "' (a-z0-9._-, not starting with reply-)");
  std::vector<std::string> aliases;
  for (const auto& al : spec.aliases) {
    auto c = route::canonical_address(al);
    if (!c) throw Invalid("invalid alias address '" + al + "'");
    aliases.push_back(*c);
  }
  std::string name = spec.name.empty() ? p : spec.name;
  return store_.transact([&](store::Tx& tx) { return tx.projects().add(p, name, key, aliases); });
}

std::vector<store::Project> Desk::projects() {
  return store_.list_projects();
}

void Desk::set_project_flag(const std::string& path, const std::string& flag, bool on) {
  if (flag != "confirmation" && flag != "notify_members" && flag != "reopen_on_reply" &&
      flag != "cc_participants" && flag != "disclose_fixes")
    throw store::Error("unknown project setting " + flag);
  store_.transact(
      [&](store::Tx& tx) { tx.projects().set_flag(store::project_id(tx, path), flag, on); });
}

void Desk::add_member(const std::string& path, const std::string& email) {
  auto c = route::canonical_address(email);
  if (!c) throw Invalid("invalid address '" + email + "'");
  store_.transact(
      [&](store::Tx& tx) { tx.projects().add_member(store::project_id(tx, path), *c); });
}

bool Desk::remove_member(const std::string& path, const std::string& email) {
  auto c = route::canonical_address(email);
  if (!c) throw Invalid("invalid address '" + email + "'");
  return store_.transact(
      [&](store::Tx& tx) { return tx.projects().remove_member(store::project_id(tx, path), *c); });
}

void Desk::set_template(const std::string& path, store::MailKind kind, const std::string& subject,
                        const std::string& body) {
  store_.transact([&](store::Tx& tx) {
    tx.projects().set_template(store::project_id(tx, path), kind, subject, body);
  });
}

bool Desk::set_member_notify(const std::string& path, const std::string& email, bool on) {
  auto c = route::canonical_address(email);
  if (!c) throw Invalid("invalid address '" + email + "'");
  return store_.transact([&](store::Tx& tx) {
    return tx.projects().set_member_notify(store::project_id(tx, path), *c, on);
  });
}

std::vector<store::Label> Desk::labels(const std::string& path) {
  return store_.read([&](store::Tx& tx) { return tx.labels().list(store::project_id(tx, path)); });
}

store::Label Desk::add_label(const std::string& path, const std::string& name,
                             const std::string& colour) {
  if (!valid_label(name))
    throw Invalid("invalid label name '" + name +
                  "': up to 64 characters, no spaces or commas, not starting with + - ~ /");
  if (!valid_colour(colour)) throw Invalid("invalid colour '" + colour + "': #rgb or #rrggbb");
  return store_.transact([&](store::Tx& tx) {
    std::int64_t pid = store::project_id(tx, path);
    return store::Label{tx.labels().add(pid, name, label_key(name), route::lower(colour)), name,
                        route::lower(colour)};
  });
}

bool Desk::remove_label(const std::string& path, const std::string& name) {
  return store_.transact([&](store::Tx& tx) {
    std::int64_t pid = store::project_id(tx, path);
    for (const auto& l : tx.labels().list(pid))
      if (label_key(l.name) == label_key(name)) {
        tx.labels().remove(l.id);
        return true;
      }
    return false;
  });
}

std::vector<store::IssueSummary> Desk::issues(const store::IssueFilter& filter) {
  return store_.list_issues(checked_filter(filter));
}

bool Desk::assign(const std::string& ref, const std::string& email, const std::string& actor) {
  std::string who;
  if (!email.empty()) {
    auto c = route::canonical_address(email);
    if (!c) throw Invalid("invalid address '" + email + "'");
    who = *c;
  }
  return store_.transact([&](store::Tx& tx) {
    store::IssueRow issue = tx.issues().get(issue_id_of(tx, ref));
    return desk::assign(tx, issue, who, store::clean_text(actor), now_());
  });
}

LabelChange Desk::relabel(const std::string& ref, const std::vector<std::string>& add,
                          const std::vector<std::string>& remove, const std::string& actor) {
  return store_.transact([&](store::Tx& tx) {
    store::IssueRow issue = tx.issues().get(issue_id_of(tx, ref));
    return desk::relabel(tx, issue, add, remove, store::clean_text(actor), now_());
  });
}

std::optional<store::IssueDetail> Desk::issue(const std::string& ref) {
  return store_.show_issue(ref);
}

int Desk::add_note(const std::string& ref, const store::NoteIn& note_in) {
  store::NoteIn note = note_in;  // the text the store keeps is what is mailed
  note.author_kind = store::clean_text(note.author_kind);
  note.author = store::clean_text(note.author);
  note.body = store::clean_text(note.body);
  check_files(note.attachments, file_limits_, composer_);
  return store_.transact([&](store::Tx& tx) {
    Mailer mail(tx, composer_, now_(), unsolicited_per_hour_);
    return desk::add_note(tx, mail, ref, note);
  });
}

int Desk::set_state(const std::string& ref, const std::string& state, const std::string& actor) {
  if (state != "opened" && state != "closed") throw store::Error("state must be opened or closed");
  return store_.transact([&](store::Tx& tx) {
    Mailer mail(tx, composer_, now_(), unsolicited_per_hour_);
    return desk::set_state(tx, mail, ref, state, store::clean_text(actor));
  });
}

int Desk::set_spam(const std::string& ref, bool spam) {
  return store_.transact([&](store::Tx& tx) {
    Mailer mail(tx, composer_, now_(), unsolicited_per_hour_);
    return desk::set_spam(tx, mail, ref, spam);
  });
}

store::Outcome Desk::deliver(const store::Target& target, const store::Inbound& in_) {
  // Text columns hold valid UTF-8 without NUL (PostgreSQL refuses anything
  // else). The parser already repairs what it decodes; this catches the rest
  // (the envelope sender, a Message-ID with raw 8-bit bytes).
  std::optional<store::Inbound> repaired = store::repaired(in_);
  const store::Inbound& in = repaired ? *repaired : in_;
  return store_.transact(
      [&](store::Tx& tx) {
        Mailer mail(tx, composer_, now_(), in.confirmations_per_hour);
        store::Outcome out = intake(tx, mail, target, in);
        out.mails = mail.queued();
        return out;
      },
      store::Work::delivery);
}

}  // namespace desk
