// tracker.cc: deskmail project label add|remove|list, issue assign, issue
// label, through desk::Desk (which decides what a valid label, colour or
// assignee is, and records each change).
#include "desk/tracker.h"

#include <ostream>
#include <string>

#include "cli/handlers.h"
#include "cli/json.h"
#include "cli/output.h"
#include "desk/desk.h"

namespace cli::tracker {

int project_label(const Context& ctx) {
  const Args& a = ctx.args;
  const auto& pos = a.pos;
  const char* usage =
      "project label add PATH NAME [--colour #RRGGBB] | remove PATH NAME | list PATH";
  if (pos.empty()) throw UsageError(usage);
  if (pos[0] == "list" && pos.size() == 2) {
    auto labels = ctx.desk->labels(pos[1]);
    if (a.json) {
      json arr = json::array();
      for (const auto& l : labels) arr.push_back(label_json(l));
      ctx.out << arr.dump(2) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows{{"LABEL", "COLOUR"}};
    for (const auto& l : labels) rows.push_back({l.name, l.colour.empty() ? "-" : l.colour});
    print_table(ctx.out, rows);
    return 0;
  }
  if (pos.size() != 3 || (pos[0] != "add" && pos[0] != "remove")) throw UsageError(usage);
  if (pos[0] == "add") {
    auto l = ctx.desk->add_label(pos[1], pos[2], a.get("colour").value_or(""));
    if (a.json)
      ctx.out << json{{"path", pos[1]}, {"label", label_json(l)}}.dump() << "\n";
    else
      ctx.out << pos[1] << ": label " << terminal_safe(l.name) << " added\n";
    return 0;
  }
  bool removed = ctx.desk->remove_label(pos[1], pos[2]);
  if (a.json)
    ctx.out << json{{"path", pos[1]}, {"label", pos[2]}, {"changed", removed}}.dump() << "\n";
  else
    ctx.out << pos[1] << (removed ? ": label removed: " : ": no label ") << terminal_safe(pos[2])
            << "\n";
  return removed ? 0 : 1;
}

int assign(const Context& ctx) {
  const Args& a = ctx.args;
  bool none = a.has("none");
  if (a.pos.size() != (none ? 1u : 2u)) throw UsageError("issue assign REF (EMAIL | --none)");
  const std::string& ref = a.pos[0];
  std::string email = none ? "" : a.pos[1];
  bool changed = ctx.desk->assign(ref, email, acting_as(ctx.cfg, a));
  auto d = ctx.desk->issue(ref);
  std::string now = d ? d->summary.assignee : "";
  if (a.json)
    ctx.out << json{{"ref", ref}, {"assignee", now}, {"changed", changed}}.dump() << "\n";
  else if (!changed)
    ctx.out << ref << (now.empty() ? " has no assignee already" : " already assigned to " + now)
            << "\n";
  else
    ctx.out << ref << (now.empty() ? ": assignee removed" : " assigned to " + now) << "\n";
  return 0;
}

int label(const Context& ctx) {
  const Args& a = ctx.args;
  const char* usage = "issue label REF +NAME... -NAME...";
  if (a.pos.size() < 2) throw UsageError(usage);
  std::vector<std::string> add, remove;
  for (std::size_t i = 1; i < a.pos.size(); ++i) {
    const std::string& w = a.pos[i];
    if (w.size() < 2 || (w[0] != '+' && w[0] != '-'))
      throw UsageError("'" + w + "': each label is +NAME (put on) or -NAME (take off)");
    (w[0] == '+' ? add : remove).push_back(w.substr(1));
  }
  auto change = ctx.desk->relabel(a.pos[0], add, remove, acting_as(ctx.cfg, a));
  auto d = ctx.desk->issue(a.pos[0]);
  std::vector<std::string> now = d ? d->summary.labels : std::vector<std::string>{};
  if (a.json) {
    ctx.out << json{{"ref", a.pos[0]},
                    {"added", change.added},
                    {"removed", change.removed},
                    {"labels", now}}
                   .dump()
            << "\n";
    return 0;
  }
  std::string shown;
  for (const auto& l : now) shown += (shown.empty() ? "" : " ") + l;
  ctx.out << a.pos[0] << (change.changed() ? ": labels now " : ": labels unchanged: ")
          << terminal_safe(shown.empty() ? "(none)" : shown) << "\n";
  return 0;
}

}  // namespace cli::tracker
