// participant.cc: deskmail issue participant add|remove REF EMAIL, through
// desk::Desk (which decides who may be one).
#include <ostream>

#include "cli/handlers.h"
#include "cli/json.h"
#include "desk/desk.h"

namespace cli::issue {

int participant(const Context& ctx) {
  const auto& pos = ctx.args.pos;
  if (pos.size() != 3 || (pos[0] != "add" && pos[0] != "remove"))
    throw UsageError("issue participant add|remove REF EMAIL");
  bool add = pos[0] == "add";
  // desk::Invalid (a member, the desk's own address) is a usage error.
  bool changed = add ? ctx.desk->add_participant(pos[1], pos[2])
                     : ctx.desk->remove_participant(pos[1], pos[2]);
  if (ctx.args.json)
    ctx.out << json{{"ref", pos[1]}, {"participant", pos[2]}, {"added", add}, {"changed", changed}}
                   .dump()
            << "\n";
  else if (add)
    ctx.out << (changed ? "participant " : "already a participant: ") << pos[2] << " on " << pos[1]
            << (changed ? " (gets the public answers from now on)" : "") << "\n";
  else
    ctx.out << (changed ? "no more mail to " : "not a participant: ") << pos[2] << " on " << pos[1]
            << "\n";
  return changed ? 0 : 1;
}

}  // namespace cli::issue
