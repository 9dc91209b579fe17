// table.cc: every deskmail command, in the order of the usage text that
// `deskmail -h` prints (and deskmail(1) documents).
#include "cli/command.h"
#include "cli/handlers.h"

namespace cli {

namespace {

constexpr std::string_view kDb = "db init | db migrate | db version | db check";
constexpr std::string_view kSpam =
    "issue ham REF | issue spam REF   release from / put into quarantine";
constexpr std::string_view kState = "close REF | reopen REF";
constexpr std::string_view kOutbox = "outbox list [--state pending|sent|failed] | outbox retry ID";

const std::vector<Command> kCommands = {
    {"db", "init", kDb, {}, {}, Needs::store, db::init},
    {"db", "migrate", kDb, {}, {}, Needs::store, db::migrate},
    {"db", "version", kDb, {}, {}, Needs::store, db::version},
    {"db", "check", kDb, {}, {}, Needs::store, db::check},
    {"db", "copy", "db copy --to CONNECTION [--from CONNECTION]   move a desk to another database",
     {"to", "from"}, {}, Needs::config, db::copy},
    {"project", "add", "project add PATH [--name NAME] [--key KEY] [--alias ADDR]...",
     {"name", "key", "alias"}, {}, Needs::desk, project::add},
    {"project", "list", "project list", {}, {}, Needs::desk, project::list},
    {"issue", "list", "issue list [--project PATH] [--state opened|closed] [--limit N] [--spam]",
     {"project", "state", "limit"}, {"spam"}, Needs::desk, issue::list},
    {"issue", "show", "issue show REF            (REF is group/project#N)", {}, {}, Needs::desk,
     issue::show},
    {"issue", "ham", kSpam, {}, {}, Needs::desk, issue::spam},
    {"issue", "spam", kSpam, {}, {}, Needs::desk, issue::spam},
    {"reply", "",
     "reply REF (-m TEXT | --file F | -) [--as EMAIL]   public answer, mailed to the customer",
     {"message", "file", "as"}, {"internal"}, Needs::desk, conversation::note},
    {"note", "", "note REF (-m TEXT | --file F | -) [--as EMAIL]    internal note, never mailed",
     {"message", "file", "as"}, {"internal"}, Needs::desk, conversation::note},
    {"close", "", kState, {}, {}, Needs::desk, conversation::state},
    {"reopen", "", kState, {}, {}, Needs::desk, conversation::state},
    {"project", "member", "project member add|remove PATH EMAIL", {}, {}, Needs::desk,
     project::member},
    {"project", "set", "project set PATH confirmation|notify_members|reopen_on_reply on|off", {},
     {}, Needs::desk, project::set},
    {"project", "template",
     "project template PATH KIND (--subject S --file F | --reset)\n"
     "       KIND: thank_you new_note closed reopened member_new_issue member_note",
     {"subject", "file"}, {"reset"}, Needs::desk, project::set_template},
    {"outbox", "list", kOutbox, {"state"}, {}, Needs::desk, outbox::list},
    {"outbox", "retry", kOutbox, {}, {}, Needs::desk, outbox::retry},
};

}  // namespace

std::span<const Command> commands() { return kCommands; }

}  // namespace cli
