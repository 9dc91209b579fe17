// issue.cc: deskmail issue list|show|ham|spam, through desk::Desk (which
// checks the list's filters).
#include <algorithm>
#include <ostream>
#include <string>

#include "cli/handlers.h"
#include "cli/json.h"
#include "cli/output.h"
#include "desk/desk.h"
#include "setup/desk_setup.h"

namespace cli::issue {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string r;
  for (const auto& x : v) r += (r.empty() ? "" : " ") + x;
  return r;
}

store::IssueFilter filter_from(const Args& a) {
  store::IssueFilter f;
  f.project = a.get("project");
  f.state = a.get("state");
  f.include_spam = a.has("spam");
  if (auto who = a.get("assignee")) f.assignee = *who == "none" ? "" : *who;
  f.labels = a.all("label");
  f.search = a.get("search");
  if (auto sort = a.get("sort")) {
    if (*sort == "created")
      f.sort = store::IssueSort::created;
    else if (*sort == "updated")
      f.sort = store::IssueSort::updated;
    else
      throw UsageError("--sort created or --sort updated");
  }
  if (auto l = a.get("limit")) {
    try {
      f.limit = std::stoll(*l);
    } catch (...) {
      throw UsageError("--limit needs a number");
    }
    if (*f.limit < 0) throw UsageError("--limit needs a number >= 0");
  }
  return f;
}

void print_detail(std::ostream& out, const store::IssueDetail& d, const notify::Settings& ns) {
  const auto& s = d.summary;
  auto line = [](const std::string& v) { return terminal_safe(v); };
  auto text = [](const std::string& v) { return terminal_safe(v, true); };
  // What deskmail found odd or cut in a message, under its text.
  auto problems = [](const std::string& v) {
    std::string out;
    std::size_t at = 0;
    while (at < v.size()) {
      std::size_t end = std::min(v.find('\n', at), v.size());
      out += "[problem] " + terminal_safe(v.substr(at, end - at)) + "\n";
      at = end + 1;
    }
    return out;
  };
  out << s.ref << "  " << line(s.title) << "\n"
      << "state: " << s.state << (s.spam ? " (spam)" : "") << "   author: " << line(s.author)
      << "   created: " << when(s.created_at) << " UTC   updated: " << when(s.updated_at)
      << " UTC\n"
      << "assignee: " << (s.assignee.empty() ? "-" : line(s.assignee))
      << "   labels: " << (s.labels.empty() ? "-" : line(joined(s.labels))) << "\n\n"
      << text(d.description) << "\n"
      << problems(d.problems);
  for (const auto& at : d.attachments)
    out << "\n[attachment] " << line(at.filename) << " (" << line(at.content_type) << ", "
        << at.size << " bytes, sha256 " << at.sha256.substr(0, 16) << "…)";
  if (!d.attachments.empty()) out << "\n";
  for (const auto& n : d.notes) {
    if (n.author_kind == "system") {  // a change: one line
      out << "\n* " << when(n.created_at) << " UTC " << line(n.author) << " " << line(n.body)
          << "\n";
      continue;
    }
    out << "\n--- " << n.author_kind << " " << line(n.author) << ", " << when(n.created_at)
        << " UTC" << (n.internal ? " (internal)" : "")
        << (n.verified ? "" : " (unverified: the site did not vouch for the sender)") << "\n"
        << text(n.body) << "\n"
        << problems(n.problems);
  }
  out << "\nparticipants:\n";
  for (const auto& p : d.participants)
    out << "  " << line(p.email) << (p.role == "cc" ? " (cc)" : "")
        << (p.subscribed ? "" : " (unsubscribed)")
        << (p.bouncing ? " (bouncing: mail to it came back)" : "")
        << "  reply: " << notify::reply_address(ns, p.reply_key) << "\n";
}

}  // namespace

int list(const Context& ctx) {
  auto issues = ctx.desk->issues(filter_from(ctx.args));
  if (ctx.args.json) {
    json arr = json::array();
    for (const auto& s : issues) arr.push_back(issue_json(s));
    ctx.out << arr.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{
      {"REF", "STATE", "CREATED (UTC)", "UPDATED (UTC)", "AUTHOR", "ASSIGNEE", "LABELS", "TITLE"}};
  for (const auto& s : issues)
    rows.push_back({s.ref, s.state + (s.spam ? " (spam)" : ""), when(s.created_at),
                    when(s.updated_at), s.author, s.assignee.empty() ? "-" : s.assignee,
                    s.labels.empty() ? "-" : joined(s.labels), s.title});
  print_table(ctx.out, rows);
  return 0;
}

int show(const Context& ctx) {
  const auto& pos = ctx.args.pos;
  if (pos.size() != 1) throw UsageError("issue show needs exactly one REF");
  auto d = ctx.desk->issue(pos[0]);
  if (!d) {
    ctx.err << "deskmail: no issue " << pos[0] << "\n";
    return 1;
  }
  if (ctx.args.json)
    ctx.out << issue_detail_json(*d, setup::composer_settings(ctx.cfg)).dump(2) << "\n";
  else
    print_detail(ctx.out, *d, setup::composer_settings(ctx.cfg));
  return 0;
}

int spam(const Context& ctx) {
  const std::string verb(ctx.command.verb);
  const auto& pos = ctx.args.pos;
  if (pos.size() != 1) throw UsageError("issue " + verb + " needs exactly one REF");
  bool spam = verb == "spam";
  int n = ctx.desk->set_spam(pos[0], spam);
  if (ctx.args.json)
    ctx.out << json{{"ref", pos[0]},
                    {"spam", spam},
                    {"changed", n >= 0},
                    {"mails_queued", std::max(n, 0)}}
                   .dump()
            << "\n";
  else if (n < 0)
    ctx.out << pos[0] << " already " << (spam ? "flagged spam" : "not spam") << "\n";
  else
    ctx.out << pos[0] << (spam ? " flagged spam" : " released") << "; " << n << " mail(s) queued\n";
  return 0;
}

}  // namespace cli::issue
