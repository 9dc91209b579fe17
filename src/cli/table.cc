// table.cc: every deskmail command, in the order of the usage text that
// `deskmail -h` prints (and deskmail(1) documents). Commands that share a
// usage line name the same constant.
#include "cli/command.h"
#include "cli/handlers.h"

namespace cli {

namespace {

constexpr std::string_view kDb = "db init | db migrate | db version | db check [FILE]";
constexpr std::string_view kDbCopy =
    "db copy --to CONNECTION [--from CONNECTION]   move a desk to another database";
constexpr std::string_view kDbBackup =
    "db backup FILE | db restore FILE [--force]   SQLite: a consistent copy of the live database";
constexpr std::string_view kConfig =
    "config show [--changed] | config check [--relay]   settings; the environment";
constexpr std::string_view kProjectAdd =
    "project add PATH [--name NAME] [--key KEY] [--alias ADDR]...";
constexpr std::string_view kProjectList = "project list";
constexpr std::string_view kIssueList =
    "issue list [--project PATH] [--state opened|closed] [--assignee EMAIL|none]\n"
    "       [--label NAME]... [--search TEXT] [--sort created|updated] [--limit N] [--spam]";
constexpr std::string_view kAssign = "issue assign REF (EMAIL | --none) [--as EMAIL]";
constexpr std::string_view kLabel = "issue label REF +NAME... -NAME... [--as EMAIL]";
constexpr std::string_view kIssueShow = "issue show REF            (REF is group/project#N)";
constexpr std::string_view kSpam =
    "issue ham REF | issue spam REF   release from / put into quarantine";
constexpr std::string_view kReply =
    "reply REF (-m TEXT | --file F | -) [--attach FILE]... [--as EMAIL]\n"
    "       public answer in Markdown, mailed to the customer with the files";
constexpr std::string_view kNote =
    "note REF (-m TEXT | --file F | -) [--attach FILE]... [--as EMAIL]\n"
    "       internal note, with the files, never mailed";
constexpr std::string_view kState = "close REF | reopen REF [--as EMAIL]";
constexpr std::string_view kMember =
    "project member add|remove PATH EMAIL | project member set PATH EMAIL notify on|off";
constexpr std::string_view kProjectLabel =
    "project label add PATH NAME [--colour #RRGGBB] | project label remove PATH NAME\n"
    "       project label list PATH";
constexpr std::string_view kParticipant =
    "issue participant add|remove REF EMAIL   Cc an address on the answers, or stop it";
constexpr std::string_view kSet =
    "project set PATH confirmation|notify_members|reopen_on_reply|cc_participants|"
    "disclose_fixes on|off";
constexpr std::string_view kHook =
    "project hook add PATH --forge git|gitlab|github|gitea --repo REPO [--branch B]\n"
    "       [--commit-url URL-with-%H] [--secret-file F]   commits that close issues\n"
    "  project hook list [PATH] | project hook remove PATH --forge F --repo REPO";
constexpr std::string_view kPostReceive =
    "hook post-receive          (run by contrib/git/post-receive; ref updates on stdin)";
constexpr std::string_view kTemplate =
    "project template PATH KIND (--subject S --file F | --reset)\n"
    "       KIND: thank_you new_note closed reopened member_new_issue member_note";
constexpr std::string_view kOutbox = "outbox list [--state pending|sent|failed] | outbox retry ID";

// --internal is accepted by reply and note as it always was; the group decides.
// clang-format off
const std::vector<Command> kCommands = {
  // group    verb        usage         options                        flags         needs          handler
  {"db",      "init",     kDb,          {},                            {},           Needs::store,  db::init},
  {"db",      "migrate",  kDb,          {},                            {},           Needs::store,  db::migrate},
  {"db",      "version",  kDb,          {},                            {},           Needs::store,  db::version},
  {"db",      "check",    kDb,          {},                            {},           Needs::store,  db::check},
  {"db",      "copy",     kDbCopy,      {"to", "from"},                {},           Needs::config, db::copy},
  {"db",      "backup",   kDbBackup,    {},                            {},           Needs::config, db::backup},
  {"db",      "restore",  kDbBackup,    {},                            {"force"},    Needs::config, db::restore},
  {"config",  "show",     kConfig,      {},                            {"changed"},  Needs::config, config_cmd::show},
  {"config",  "check",    kConfig,      {},                            {"relay"},    Needs::config, config_cmd::check},
  {"project", "add",      kProjectAdd,  {"name", "key", "alias"},      {},           Needs::desk,   project::add},
  {"project", "list",     kProjectList, {},                            {},           Needs::desk,   project::list},
  {"issue",   "list",     kIssueList,   {"project", "state", "limit", "assignee", "label", "search", "sort"},
                                                                           {"spam"},     Needs::desk,   issue::list},
  {"issue",   "show",     kIssueShow,   {},                            {},           Needs::desk,   issue::show},
  {"issue",   "ham",      kSpam,        {},                            {},           Needs::desk,   issue::spam},
  {"issue",   "spam",     kSpam,        {},                            {},           Needs::desk,   issue::spam},
  {"issue",   "participant", kParticipant, {},                         {},           Needs::desk,   issue::participant},
  {"issue",   "assign",   kAssign,      {"as"},                        {"none"},     Needs::desk,   tracker::assign},
  {"issue",   "label",    kLabel,       {"as"},                        {},           Needs::desk,   tracker::label},
  {"reply",   "",         kReply,       {"message", "file", "as", "attach"}, {"internal"}, Needs::desk, conversation::note},
  {"note",    "",         kNote,        {"message", "file", "as", "attach"}, {"internal"}, Needs::desk, conversation::note},
  {"close",   "",         kState,       {"as"},                        {},           Needs::desk,   conversation::state},
  {"reopen",  "",         kState,       {"as"},                        {},           Needs::desk,   conversation::state},
  {"project", "member",   kMember,      {},                            {},           Needs::desk,   project::member},
  {"project", "label",    kProjectLabel, {"colour"},                   {},           Needs::desk,   tracker::project_label},
  {"project", "set",      kSet,         {},                            {},           Needs::desk,   project::set},
  {"project", "template", kTemplate,    {"subject", "file"},           {"reset"},    Needs::desk,   project::set_template},
  {"project", "hook",     kHook,        {"forge", "repo", "branch", "commit-url", "secret-file"}, {}, Needs::desk, project::hook},
  {"hook",    "post-receive", kPostReceive, {},                        {},           Needs::desk,   hook::post_receive},
  {"outbox",  "list",     kOutbox,      {"state"},                     {},           Needs::desk,   outbox::list},
  {"outbox",  "retry",    kOutbox,      {},                            {},           Needs::desk,   outbox::retry},
};
// clang-format on

}  // namespace

std::span<const Command> commands() {
  return kCommands;
}

}  // namespace cli
