// fixes.cc: what a push or a merge does to the issues it names (see fixes.h).
#include "desk/fixes.h"

#include <algorithm>

#include "desk/conversation.h"
#include "desk/desk.h"
#include "desk/fix_refs.h"
#include "desk/mailer.h"
#include "route/route.h"

namespace desk {

namespace {

constexpr std::size_t kTitleMax = 200;
constexpr std::size_t kFieldMax = 320;

std::string clipped(const std::string& s, std::size_t max) {
  std::string c = store::clean_text(s.substr(0, std::min(s.size(), max)));
  for (auto& ch : c)
    if (ch == '\r' || ch == '\n' || ch == '\t') ch = ' ';
  return c;
}

// A commit's short name: 12 hex digits of a SHA, else the id as it is.
std::string short_id(const std::string& id) {
  bool hex = id.size() >= 12 && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
             });
  return hex ? id.substr(0, 12) : clipped(id, 100);
}

// The commit's web address: its own, else the binding's pattern with %H.
std::string commit_url(const FixCommit& c, const std::vector<store::HookBinding>& bindings) {
  if (!c.url.empty()) return clipped(c.url, 2000);
  for (const auto& b : bindings) {
    if (b.commit_url.empty()) continue;
    std::string u = b.commit_url;
    for (auto at = u.find("%H"); at != std::string::npos; at = u.find("%H", at + c.id.size()))
      u.replace(at, 2, c.id);
    return clipped(u, 2000);
  }
  return "";
}

// The internal note on an issue a commit names.
std::string note_text(const char* what, const FixCommit& c, const std::string& url) {
  std::string who = clipped(c.author_name, kFieldMax);
  std::string email = clipped(c.author_email, kFieldMax);
  if (!email.empty()) who += (who.empty() ? "<" : " <") + email + ">";
  std::string text = std::string(what) + " " + short_id(c.id) + " \"" + commit_title(c.message) +
                     "\"" + (who.empty() ? "" : " by " + who);
  if (!url.empty()) text += "\n" + url;
  return text;
}

struct PushContext {
  const std::vector<store::HookBinding>& bindings;
  std::vector<std::string> allowed;
  std::string desk_path;
  std::size_t limit;
};

// One commit's references, inside the push's transaction.
void apply_commit(store::Tx& tx, Mailer& mail, const PushContext& p, const FixCommit& c,
                  FixResult& r) {
  if (c.id.empty()) return;  // nothing to count "once" by
  std::string message = store::clean_text(c.message);
  std::string url = commit_url(c, p.bindings);
  for (const auto& ref : find_refs(message, p.allowed, p.limit, p.desk_path)) {
    auto id = tx.issues().find(ref.path, ref.iid);
    if (!id) {
      ++r.missing;
      continue;
    }
    bool close = ref.action == FixRef::Action::close;
    if (!tx.hooks().claim_commit(c.id, *id, close ? "close" : "mention", mail.now())) {
      ++r.seen;
      continue;
    }
    store::IssueRow issue = tx.issues().get(*id);
    bool closes_now = close && issue.state != "closed";
    const char* what = !close       ? "Mentioned in commit"
                       : closes_now ? "Closed by commit"
                                    : "Fixed (already closed) by commit";
    store::NewNote note;
    note.issue_id = *id;
    note.author_kind = "support_bot";
    note.author = clipped(c.author_email.empty() ? c.author_name : c.author_email, kFieldMax);
    note.body = note.full_body = note_text(what, c, url);
    note.internal = true;
    note.created_at = mail.now();
    tx.notes().add(note);
    tx.issues().touch(*id, mail.now());
    ++r.noted;
    if (!closes_now) continue;
    tx.issues().set_state(*id, "closed", mail.now(), mail.now());
    issue.state = "closed";
    ++r.closed;
    if (issue.spam) continue;  // quarantined: never answered
    bool disclose = issue.project.settings.disclose_fixes;
    mail.set_fix(disclose ? commit_title(message) : "", disclose ? url : "");
    r.mails += mail.customers(issue, store::MailKind::closed, thread_refs(issue, ""), "", "");
  }
}

}  // namespace

std::string commit_title(const std::string& message) {
  std::string first = message.substr(0, message.find('\n'));
  while (!first.empty() && (first.back() == '\r' || first.back() == ' ')) first.pop_back();
  if (first.size() > kTitleMax) {
    first.resize(kTitleMax);
    // Not in the middle of a UTF-8 sequence.
    while (!first.empty() && (static_cast<unsigned char>(first.back()) & 0xC0) == 0x80)
      first.pop_back();
    if (!first.empty() && static_cast<unsigned char>(first.back()) >= 0xC0) first.pop_back();
  }
  return clipped(first, kTitleMax);
}

FixResult Desk::fix_push(const FixPush& push, std::size_t refs_per_commit) {
  std::string forge = route::lower(push.forge);
  std::string repo = normalize_repo(forge, push.repo);
  return store_.transact([&](store::Tx& tx) {
    FixResult r;
    std::vector<store::HookBinding> all = tx.hooks().find(forge, repo), take;
    auto proven = [&](const store::HookBinding& b) {
      return push.only_hooks.empty() || std::find(push.only_hooks.begin(), push.only_hooks.end(),
                                                  b.id) != push.only_hooks.end();
    };
    for (const auto& b : all)
      if (proven(b) && push.branch == (b.branch.empty() ? push.default_branch : b.branch))
        take.push_back(b);
    r.bindings = static_cast<int>(take.size());
    if (take.empty()) return r;
    if (!push.delivery.empty()) {
      bool fresh = false;
      for (const auto& b : take)
        fresh = tx.hooks().claim_delivery(b.id, push.delivery, now_()) || fresh;
      if (!fresh) {
        tx.discard();
        r.replay = true;
        return r;
      }
    }
    PushContext p{take, {}, all.size() == 1 ? all.front().project_path : "", refs_per_commit};
    for (const auto& b : take) p.allowed.push_back(b.project_path);
    Mailer mail(tx, composer_, now_());
    for (const auto& c : push.commits) apply_commit(tx, mail, p, c, r);
    return r;
  });
}

}  // namespace desk
