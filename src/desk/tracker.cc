// tracker.cc: labels, assignees and the system notes that record them.
#include "desk/tracker.h"

#include <algorithm>

#include "desk/desk.h"
#include "desk/mailer.h"
#include "route/route.h"
#include "store/search.h"

namespace desk {

bool valid_label(const std::string& name) {
  if (name.empty() || name.size() > 64 || !store::is_clean_text(name)) return false;
  if (std::string("+-~/").find(name.front()) != std::string::npos) return false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || c == ',') return false;
  }
  // No Unicode white space or C1 controls either (U+0085, U+00A0, U+2000-U+200B,
  // U+2028/9, U+3000 are the ones mail brings).
  for (const char* ws : {"\xC2\x85", "\xC2\xA0", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82",
                         "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86",
                         "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A",
                         "\xE2\x80\x8B", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE3\x80\x80"})
    if (name.find(ws) != std::string::npos) return false;
  for (std::size_t i = 0; i + 1 < name.size(); ++i)
    if (name[i] == '\xC2' && static_cast<unsigned char>(name[i + 1]) < 0xA0) return false;
  return true;
}

std::string label_key(const std::string& name) {
  return route::lower(name);
}

bool valid_colour(const std::string& c) {
  if (c.empty()) return true;
  if ((c.size() != 4 && c.size() != 7) || c[0] != '#') return false;
  return std::all_of(c.begin() + 1, c.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
  });
}

void system_note(store::Tx& tx, std::int64_t issue_id, const std::string& actor,
                 const std::string& text, std::int64_t at) {
  store::NewNote n;
  n.issue_id = issue_id;
  n.author_kind = "system";
  n.author = actor;
  n.body = text;
  n.full_body = text;
  n.internal = true;
  n.system = true;
  n.created_at = at;
  tx.notes().add(n);
}

store::Label find_label(store::Tx& tx, std::int64_t project_id, const std::string& path,
                        const std::string& name) {
  std::string key = label_key(name);
  for (auto& l : tx.labels().list(project_id))
    if (label_key(l.name) == key) return l;
  throw Invalid("no label '" + name + "' in " + path + " (deskmail project label add " + path +
                " NAME)");
}

bool assign(store::Tx& tx, const store::IssueRow& issue, const std::string& email_in,
            const std::string& actor, std::int64_t at) {
  std::string email;
  if (!email_in.empty()) {
    for (const auto& m : tx.projects().members(issue.project.id))
      if (same_address(m, email_in)) email = m;
    if (email.empty())
      throw Invalid(email_in + " is no member of " + issue.project.path +
                    " (deskmail project member add " + issue.project.path + " EMAIL)");
  }
  if (same_address(issue.assignee, email)) return false;
  tx.issues().set_assignee(issue.id, email, at);
  system_note(tx, issue.id, actor,
              email.empty() ? "removed the assignee " + issue.assignee
              : issue.assignee.empty() ? "assigned to " + email
                                       : "assigned to " + email + " (was " + issue.assignee + ")",
              at);
  return true;
}

LabelChange relabel(store::Tx& tx, const store::IssueRow& issue,
                    const std::vector<std::string>& add, const std::vector<std::string>& remove,
                    const std::string& actor, std::int64_t at) {
  auto on = tx.labels().on_issue(issue.id);
  auto has = [&](std::int64_t id) { return std::find(on.begin(), on.end(), id) != on.end(); };
  LabelChange change;
  for (const auto& name : add) {
    auto l = find_label(tx, issue.project.id, issue.project.path, name);
    if (has(l.id)) continue;
    tx.labels().attach(issue.id, l.id);
    on.push_back(l.id);
    change.added.push_back(l.name);
  }
  for (const auto& name : remove) {
    auto l = find_label(tx, issue.project.id, issue.project.path, name);
    if (!has(l.id)) continue;
    tx.labels().detach(issue.id, l.id);
    std::erase(on, l.id);
    change.removed.push_back(l.name);
  }
  if (!change.changed()) return change;
  std::string text;
  auto list = [](const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "~" : " ~") + n;
    return s;
  };
  if (!change.added.empty()) text = "added label " + list(change.added);
  if (!change.removed.empty())
    text += (text.empty() ? "removed label " : "; removed label ") + list(change.removed);
  tx.issues().touch(issue.id, at);
  system_note(tx, issue.id, actor, text, at);
  return change;
}

store::IssueFilter checked_filter(const store::IssueFilter& in) {
  store::IssueFilter f = in;
  if (f.assignee && !f.assignee->empty()) {
    auto c = route::canonical_address(*f.assignee);
    if (!c) throw Invalid("invalid address '" + *f.assignee + "'");
    f.assignee = *c;
  }
  if (f.labels.size() > 10) throw Invalid("at most 10 labels in one filter");
  for (auto& l : f.labels) {
    if (!valid_label(l)) throw Invalid("invalid label name '" + l + "'");
    l = label_key(l);
  }
  if (f.search) {
    if (f.search->size() > 1000) throw Invalid("the search text is longer than 1000 bytes");
    auto words = store::search::words(store::search::fold(*f.search));
    if (words.empty()) throw Invalid("the search text has no word in it");
    if (words.size() > store::search::kMaxQueryWords)
      throw Invalid("at most " + std::to_string(store::search::kMaxQueryWords) +
                    " words in one search");
  }
  if (f.state && *f.state != "opened" && *f.state != "closed")
    throw Invalid("state must be opened or closed");
  return f;
}

}  // namespace desk
