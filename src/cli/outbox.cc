// outbox.cc: deskmail outbox list|retry: the outbox's administration,
// straight on the store (what is queued is decided elsewhere, by the desk).
#include <ostream>
#include <string>

#include "cli/handlers.h"
#include "cli/json.h"
#include "cli/output.h"
#include "store/store.h"

namespace cli::outbox {

int list(const Context& ctx) {
  auto items = ctx.store->list_outbox(ctx.args.get("state"));
  if (ctx.args.json) {
    json arr = json::array();
    for (const auto& o : items) arr.push_back(outbox_json(o));
    ctx.out << arr.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{
      {"ID", "STATE", "TRIES", "KIND", "TO", "SUBJECT", "LAST ERROR"}};
  for (const auto& o : items)
    rows.push_back({std::to_string(o.id), o.state, std::to_string(o.attempts), o.kind, o.recipient,
                    o.subject, o.last_error.empty() ? "-" : o.last_error});
  print_table(ctx.out, rows);
  return 0;
}

int retry(const Context& ctx) {
  if (ctx.args.pos.size() != 1) throw UsageError("outbox retry ID");
  long long id = 0;
  try {
    id = std::stoll(ctx.args.pos[0]);
  } catch (...) {
    throw UsageError("outbox retry needs a numeric ID");
  }
  if (!ctx.store->retry_outbox(id)) {
    ctx.err << "deskmail: no unsent outbox mail " << id << "\n";
    return 1;
  }
  ctx.out << (ctx.args.json ? json{{"id", id}, {"state", "pending"}}.dump()
                            : "outbox mail " + std::to_string(id) + " will be retried now")
          << "\n";
  return 0;
}

}  // namespace cli::outbox
