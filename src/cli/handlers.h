// handlers.h: the handlers the command table names, one namespace per group
// and one file per namespace. Each returns the exit status (see command.h).
#pragma once

#include "cli/command.h"

namespace cli {

namespace db {  // db.cc: storage administration, straight on the store
int init(const Context& ctx);
int migrate(const Context& ctx);
int version(const Context& ctx);
int check(const Context& ctx);
int copy(const Context& ctx);
int backup(const Context& ctx);   // db backup FILE: a consistent copy of a live SQLite database
int restore(const Context& ctx);  // db restore FILE: the copy back, checked first
}  // namespace db

namespace config_cmd {  // config_cmd.cc
int show(const Context& ctx);
int check(const Context& ctx);  // deskmaild --check-config's checks
}  // namespace config_cmd

namespace project {  // project.cc
int add(const Context& ctx);
int list(const Context& ctx);
int member(const Context& ctx);  // add|remove PATH EMAIL, set PATH EMAIL notify on|off
int set(const Context& ctx);
int set_template(const Context& ctx);
int hook(const Context& ctx);  // hook.cc: add|list|remove
}  // namespace project

namespace hook {  // hook.cc: what git runs after a push
int post_receive(const Context& ctx);
}  // namespace hook

namespace issue {  // issue.cc
int list(const Context& ctx);
int show(const Context& ctx);
int spam(const Context& ctx);         // "ham" or "spam", by the verb
int participant(const Context& ctx);  // add|remove REF EMAIL (participant.cc)
}  // namespace issue

namespace tracker {                     // tracker.cc
int project_label(const Context& ctx);  // add|remove|list
int assign(const Context& ctx);
int label(const Context& ctx);
}  // namespace tracker

namespace conversation {        // conversation.cc
int note(const Context& ctx);   // "reply" (public) or "note" (internal), by the group
int state(const Context& ctx);  // "close" or "reopen", by the group
}  // namespace conversation

namespace outbox {  // outbox.cc: the outbox's administration, straight on the store
int list(const Context& ctx);
int retry(const Context& ctx);
}  // namespace outbox

}  // namespace cli
