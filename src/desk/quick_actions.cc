// quick_actions.cc: the command lines of a member's reply (see quick_actions.h).
#include "desk/quick_actions.h"

#include <algorithm>

#include "desk/desk.h"
#include "desk/mailer.h"
#include "route/route.h"

namespace desk {

namespace {

// A line's words, split at spaces and tabs.
std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::string trimmed_line(std::string line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.pop_back();
  std::size_t lead = line.find_first_not_of(" \t");
  return lead == std::string::npos ? "" : line.substr(lead);
}

// One command line into `qa`; false with a reason when not understood.
bool read_command(const std::vector<std::string>& w, QuickActions& qa, std::string& why) {
  std::string cmd = route::lower(w[0]);
  std::size_t args = w.size() - 1;
  auto none = [&](bool& flag) {
    if (args) return why = "takes no argument", false;
    flag = true;
    return true;
  };
  if (cmd == "/close") return none(qa.close);
  if (cmd == "/reopen") return none(qa.reopen);
  if (cmd == "/unassign") return none(qa.unassign);
  if (cmd == "/internal") return none(qa.internal);
  if (cmd == "/assign") {
    if (args != 1) return why = "needs one address, or me", false;
    if (route::lower(w[1]) == "me") {
      qa.assign = "me";
      return true;
    }
    std::string a = w[1];
    if (a.size() > 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
    auto c = route::canonical_address(a);
    if (!c) return why = "'" + w[1] + "' is not an address", false;
    qa.assign = *c;
    return true;
  }
  if (cmd == "/label" || cmd == "/unlabel") {
    if (!args) return why = "needs at least one label", false;
    for (std::size_t i = 1; i < w.size(); ++i) {
      std::string name = w[i][0] == '~' ? w[i].substr(1) : w[i];
      if (!valid_label(name)) return why = "'" + w[i] + "' is not a label name", false;
      (cmd == "/label" ? qa.label : qa.unlabel).push_back(name);
    }
    return true;
  }
  why = "unknown command";
  return false;
}

}  // namespace

QuickActions parse_quick_actions(const std::string& text) {
  QuickActions qa;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string::npos ? text.size() : nl;
    std::string line = trimmed_line(text.substr(pos, end - pos));
    if (!line.empty() && line[0] != '/') break;
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (line.empty()) continue;
    if (++qa.lines > kMaxQuickActions) {
      if (qa.lines == kMaxQuickActions + 1)
        qa.problems.push_back("more than " + std::to_string(kMaxQuickActions) + " command lines");
      continue;
    }
    std::string shown = line.size() > 80 ? line.substr(0, 80) + "..." : line;
    std::string why;
    if (!read_command(words_of(line), qa, why)) qa.problems.push_back(shown + ": " + why);
  }
  qa.body = text.substr(pos);
  if (qa.close && qa.reopen) qa.problems.push_back("/close and /reopen: choose one");
  if (qa.assign && qa.unassign) qa.problems.push_back("/assign and /unassign: choose one");
  return qa;
}

void check_quick_actions(store::Tx& tx, const store::IssueRow& issue, const std::string& author,
                         QuickActions& qa) {
  if (qa.assign) {
    std::string who = *qa.assign == "me" ? author : *qa.assign;
    bool member = false;
    for (const auto& m : tx.projects().members(issue.project.id)) member |= same_address(m, who);
    if (!member) qa.problems.push_back("/assign: " + who + " is no member of " + issue.project.path);
  }
  auto labels = tx.labels().list(issue.project.id);
  for (const auto* names : {&qa.label, &qa.unlabel})
    for (const auto& n : *names) {
      bool known = std::any_of(labels.begin(), labels.end(),
                               [&](const store::Label& l) { return label_key(l.name) == label_key(n); });
      if (!known) qa.problems.push_back("~" + n + ": no such label in " + issue.project.path);
    }
}

QuickResult apply_quick_actions(store::Tx& tx, const store::IssueRow& issue_in,
                                const std::string& author, const QuickActions& qa,
                                std::int64_t at) {
  QuickResult r;
  store::IssueRow issue = issue_in;
  if (qa.assign || qa.unassign) {
    std::string who = !qa.assign ? "" : *qa.assign == "me" ? author : *qa.assign;
    r.assignee_changed = assign(tx, issue, who, author, at);
  }
  if (!qa.label.empty() || !qa.unlabel.empty())
    r.labels = relabel(tx, issue, qa.label, qa.unlabel, author, at);
  std::string want = qa.close ? "closed" : qa.reopen ? "opened" : "";
  if (!want.empty() && issue.state != want) {
    bool closing = want == "closed";
    tx.issues().set_state(issue.id, want, closing ? std::optional(at) : std::nullopt, at);
    system_note(tx, issue.id, author, closing ? "closed" : "reopened", at);
    r.state = want;
  }
  return r;
}

}  // namespace desk
