// project.cc: deskmail project add|list|member|set|template (label: tracker.cc). What a valid
// path, key, alias or member address is, desk::Desk decides.
#include <algorithm>
#include <ostream>
#include <string>

#include "cli/handlers.h"
#include "cli/json.h"
#include "cli/output.h"
#include "desk/desk.h"
#include "mail/message.h"
#include "route/route.h"

namespace cli::project {

int add(const Context& ctx) {
  const Args& a = ctx.args;
  if (a.pos.size() != 1) throw UsageError("project add needs exactly one PATH");
  // Empty name and key: the desk derives them from the path.
  desk::ProjectSpec spec{a.pos[0], a.get("name").value_or(""), a.get("key").value_or(""),
                         a.all("alias")};
  auto pr = ctx.desk->add_project(spec);
  std::string addr = address_for(ctx.cfg, pr.key);
  if (a.json)
    ctx.out << json{{"path", pr.path}, {"address", addr}, {"key", pr.key}, {"aliases", pr.aliases}}
                   .dump()
            << "\n";
  else
    ctx.out << "project " << pr.path << " created; new issues: " << addr << "\n";
  return 0;
}

int list(const Context& ctx) {
  auto ps = ctx.desk->projects();
  if (ctx.args.json) {
    json arr = json::array();
    for (const auto& p : ps) arr.push_back(project_json(p, address_for(ctx.cfg, p.key)));
    ctx.out << arr.dump(2) << "\n";
    return 0;
  }
  auto joined = [](const std::vector<std::string>& v) {
    std::string r;
    for (const auto& x : v) r += (r.empty() ? "" : ", ") + x;
    return r.empty() ? std::string("-") : r;
  };
  std::vector<std::vector<std::string>> rows{
      {"PATH", "ADDRESS", "ISSUES", "ALIASES", "MEMBERS", "SETTINGS"}};
  for (const auto& p : ps) {
    std::vector<std::string> members;
    for (const auto& m : p.members)
      members.push_back(
          std::find(p.muted.begin(), p.muted.end(), m) == p.muted.end() ? m : m + " (notify off)");
    std::string set = std::string(p.enabled ? "" : "DISABLED ") +
                      "confirmation=" + (p.confirmation ? "on" : "off") +
                      " notify_members=" + (p.notify_members ? "on" : "off") +
                      " reopen_on_reply=" + (p.reopen_on_reply ? "on" : "off") +
                      " cc_participants=" + (p.cc_participants ? "on" : "off") +
                      " disclose_fixes=" + (p.disclose_fixes ? "on" : "off");
    rows.push_back({p.path, address_for(ctx.cfg, p.key), std::to_string(p.issues),
                    joined(p.aliases), joined(members), set});
  }
  print_table(ctx.out, rows);
  return 0;
}

namespace {

// project member set PATH EMAIL notify on|off
int member_set(const Context& ctx) {
  const auto& pos = ctx.args.pos;
  if (pos.size() != 5 || pos[3] != "notify" || (pos[4] != "on" && pos[4] != "off"))
    throw UsageError("project member set PATH EMAIL notify on|off");
  bool on = pos[4] == "on";
  bool member = ctx.desk->set_member_notify(pos[1], pos[2], on);
  std::string email = route::canonical_address(pos[2]).value_or(pos[2]);
  if (ctx.args.json)
    ctx.out << json{{"path", pos[1]}, {"member", email}, {"notify", on}, {"changed", member}}.dump()
            << "\n";
  else if (!member)
    ctx.out << "not a member: " << email << "\n";
  else
    ctx.out << email << ": notify " << pos[4] << "\n";
  return member ? 0 : 1;
}

}  // namespace

int member(const Context& ctx) {
  const auto& pos = ctx.args.pos;
  if (!pos.empty() && pos[0] == "set") return member_set(ctx);
  if (pos.size() != 3 || (pos[0] != "add" && pos[0] != "remove"))
    throw UsageError("project member add|remove PATH EMAIL | set PATH EMAIL notify on|off");
  bool add = pos[0] == "add";
  bool changed = true;
  if (add)
    ctx.desk->add_member(pos[1], pos[2]);
  else
    changed = ctx.desk->remove_member(pos[1], pos[2]);
  // The desk accepted the address; shown as it stored it. (Desk does not
  // return the stored form yet, so it is spelled again here for display.)
  std::string email = route::canonical_address(pos[2]).value_or(pos[2]);
  if (ctx.args.json)
    ctx.out << json{{"path", pos[1]}, {"member", email}, {"changed", changed}}.dump() << "\n";
  else
    ctx.out << (add ? "member " : changed ? "removed " : "not a member: ") << email << "\n";
  return changed ? 0 : 1;
}

int set(const Context& ctx) {
  const auto& pos = ctx.args.pos;
  if (pos.size() != 3 || (pos[2] != "on" && pos[2] != "off"))
    throw UsageError(
        "project set PATH confirmation|notify_members|reopen_on_reply|cc_participants|"
        "disclose_fixes on|off");
  ctx.desk->set_project_flag(pos[0], pos[1], pos[2] == "on");
  if (ctx.args.json)
    ctx.out << json{{"path", pos[0]}, {pos[1], pos[2] == "on"}}.dump() << "\n";
  else
    ctx.out << pos[0] << ": " << pos[1] << " " << pos[2] << "\n";
  return 0;
}

int set_template(const Context& ctx) {
  const Args& a = ctx.args;
  if (a.pos.size() != 2)
    throw UsageError("project template PATH KIND (--subject S --file F | --reset)");
  auto kind = store::mail_kind_from(a.pos[1]);
  if (!kind) throw UsageError("unknown template kind '" + a.pos[1] + "'");
  std::string subject = a.get("subject").value_or(""), body;
  if (auto f = a.get("file")) body = mail::to_valid_utf8(read_file(*f));
  bool reset = a.has("reset");
  if (reset)
    subject.clear(), body.clear();
  else if (subject.empty() && body.empty())
    throw UsageError("give --subject and/or --file, or --reset");
  ctx.desk->set_template(a.pos[0], *kind, subject, body);
  ctx.out << (a.json ? json{{"path", a.pos[0]}, {"kind", a.pos[1]}}.dump()
                     : a.pos[0] + ": template " + a.pos[1] + (reset ? " reset" : " set"))
          << "\n";
  return 0;
}

}  // namespace cli::project
