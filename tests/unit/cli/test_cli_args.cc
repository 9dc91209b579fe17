// The deskmail command line: its options, the command table, the usage text
// built from it, and a few commands run against a scratch SQLite desk.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/run.h"
#include "desk/desk.h"

namespace fs = std::filesystem;
using Words = std::vector<std::string>;

TEST_CASE("cli::parse_global") {
  struct {
    const char* label;
    Words argv;
    std::string config;
    bool help, version;
    Words command;
  } cases[] = {
      {"nothing", {}, "/d", false, false, {}},
      {"command only", {"issue", "list"}, "/d", false, false, {"issue", "list"}},
      {"-c", {"-c", "x.yaml", "db", "init"}, "x.yaml", false, false, {"db", "init"}},
      {"--config", {"--config", "y", "db"}, "y", false, false, {"db"}},
      {"last -c wins",
       {"-c", "a", "-c", "b", "outbox", "list"},
       "b",
       false,
       false,
       {"outbox", "list"}},
      {"-h", {"-h", "db", "init"}, "/d", true, false, {}},
      {"--help after -c", {"-c", "a", "--help"}, "a", true, false, {}},
      {"--version", {"--version"}, "/d", false, true, {}},
      {"-V", {"-V"}, "/d", false, true, {}},
      {"-c without a file is a command word", {"-c"}, "/d", false, false, {"-c"}},
      {"options after the command are the command's",
       {"issue", "-h"},
       "/d",
       false,
       false,
       {"issue", "-h"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.label);
    auto g = cli::parse_global(c.argv, "/d");
    CHECK(g.config == c.config);
    CHECK(g.help == c.help);
    CHECK(g.version == c.version);
    CHECK(g.command == c.command);
  }
}

TEST_CASE("cli::parse_args") {
  const Words options{"name", "alias", "message"}, flags{"spam"};
  using Opts = std::vector<std::pair<std::string, std::string>>;
  struct {
    const char* label;
    Words words;
    Words pos;
    Opts opts;
    bool json;
  } cases[] = {
      {"positionals", {"a", "b"}, {"a", "b"}, {}, false},
      {"--json anywhere", {"a", "--json", "b"}, {"a", "b"}, {}, true},
      {"option with a separate value", {"--name", "N", "p"}, {"p"}, {{"name", "N"}}, false},
      {"option=value", {"--name=a=b"}, {}, {{"name", "a=b"}}, false},
      {"empty value", {"--name="}, {}, {{"name", ""}}, false},
      {"repeated option",
       {"--alias", "x", "--alias=y"},
       {},
       {{"alias", "x"}, {"alias", "y"}},
       false},
      {"flag", {"--spam", "r"}, {"r"}, {{"spam", "1"}}, false},
      {"-m is --message", {"-m", "hi there"}, {}, {{"message", "hi there"}}, false},
      {"a trailing -m is a positional", {"-m"}, {"-m"}, {}, false},
      {"- is a positional (stdin)", {"-"}, {"-"}, {}, false},
      {"a value may look like an option", {"--name", "--json"}, {}, {{"name", "--json"}}, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.label);
    auto a = cli::parse_args(c.words, options, flags);
    CHECK(a.pos == c.pos);
    CHECK(a.opts == c.opts);
    CHECK(a.json == c.json);
  }

  auto a = cli::parse_args({"--alias", "x", "--name", "1", "--alias", "y", "--name", "2"}, options,
                           flags);
  CHECK(a.get("name") == "2");
  CHECK(a.all("alias") == Words{"x", "y"});
  CHECK_FALSE(a.get("spam"));
  CHECK_FALSE(a.has("spam"));

  SUBCASE("-m only where the command takes --message") {
    auto b = cli::parse_args({"-m", "x"}, {}, {});
    CHECK(b.pos == Words{"-m", "x"});
    CHECK(b.opts.empty());
  }
  SUBCASE("errors") {
    CHECK_THROWS_WITH_AS(cli::parse_args({"--name"}, options, flags), "option --name needs a value",
                         cli::UsageError);
    CHECK_THROWS_WITH_AS(cli::parse_args({"--nope"}, options, flags), "unknown option --nope",
                         cli::UsageError);
    CHECK_THROWS_WITH_AS(cli::parse_args({"--spam-x=1"}, options, flags),
                         "unknown option --spam-x=1", cli::UsageError);
  }
}

// The usage text as deskmail printed it before the command table; the man
// page and people's scripts know these lines.
const char* const kUsageText =
    "usage: deskmail [-c FILE] COMMAND [ARGS] [--json]\n"
    "  db init | db migrate | db version | db check [FILE]\n"
    "  db copy --to CONNECTION [--from CONNECTION]   move a desk to another database\n"
    "  db backup FILE | db restore FILE [--force]   SQLite: a consistent copy of the live "
    "database\n"
    "  config show [--changed] | config check [--relay]   settings; the environment\n"
    "  project add PATH [--name NAME] [--key KEY] [--alias ADDR]...\n"
    "  project list\n"
    "  issue list [--project PATH] [--state opened|closed] [--assignee EMAIL|none]\n"
    "       [--label NAME]... [--search TEXT] [--sort created|updated] [--limit N] [--spam]\n"
    "  issue show REF            (REF is group/project#N)\n"
    "  issue ham REF | issue spam REF   release from / put into quarantine\n"
    "  issue participant add|remove REF EMAIL   Cc an address on the answers, or stop it\n"
    "  issue assign REF (EMAIL | --none) [--as EMAIL]\n"
    "  issue label REF +NAME... -NAME... [--as EMAIL]\n"
    "  reply REF (-m TEXT | --file F | -) [--attach FILE]... [--as EMAIL]\n"
    "       public answer in Markdown, mailed to the customer with the files\n"
    "  note REF (-m TEXT | --file F | -) [--attach FILE]... [--as EMAIL]\n"
    "       internal note, with the files, never mailed\n"
    "  close REF | reopen REF [--as EMAIL]\n"
    "  project member add|remove PATH EMAIL | project member set PATH EMAIL notify on|off\n"
    "  project label add PATH NAME [--colour #RRGGBB] | project label remove PATH NAME\n"
    "       project label list PATH\n"
    "  project set PATH confirmation|notify_members|reopen_on_reply|cc_participants|disclose_fixes "
    "on|off\n"
    "  project template PATH KIND (--subject S --file F | --reset)\n"
    "       KIND: thank_you new_note closed reopened member_new_issue member_note\n"
    "  project hook add PATH --forge git|gitlab|github|gitea --repo REPO [--branch B]\n"
    "       [--commit-url URL-with-%H] [--secret-file F]   commits that close issues\n"
    "  project hook list [PATH] | project hook remove PATH --forge F --repo REPO\n"
    "  hook post-receive          (run by contrib/git/post-receive; ref updates on stdin)\n"
    "  outbox list [--state pending|sent|failed] | outbox retry ID\n";

TEST_CASE("cli::commands: the table") {
  auto table = cli::commands();
  CHECK(cli::usage(table) == kUsageText);

  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const auto& c : table) {
    CAPTURE(c.group);
    CAPTURE(c.verb);
    CHECK(static_cast<bool>(c.run));
    CHECK(seen.insert({c.group, c.verb}).second);
    // Each command's usage line names it.
    std::string name(c.group);
    if (!c.verb.empty()) name += " " + std::string(c.verb);
    CHECK(c.usage.find(name) != std::string_view::npos);
    // Each option and flag it declares is in its usage line.
    for (const auto& o : c.options)
      CHECK((o == "message" || c.usage.find("--" + o) != std::string_view::npos));
    for (const auto& f : c.flags)
      CHECK((f == "internal" || c.usage.find("--" + f) != std::string_view::npos));
    // Only storage administration and the configuration run without the desk.
    if (c.needs != cli::Needs::desk) CHECK((c.group == "db" || c.group == "config"));
  }
}

TEST_CASE("cli::resolve") {
  auto table = cli::commands();
  auto call = cli::resolve(table, {"issue", "list", "--state", "closed", "--spam", "--json"});
  REQUIRE(call.command != nullptr);
  CHECK(call.command->group == "issue");
  CHECK(call.command->verb == "list");
  CHECK(call.args.get("state") == "closed");
  CHECK(call.args.has("spam"));
  CHECK(call.args.json);

  SUBCASE("a command without a verb takes its REF as it stands") {
    auto c = cli::resolve(table, {"reply", "acme/game#1", "-m", "hi", "--as", "a@b.example"});
    CHECK(c.command->group == "reply");
    CHECK(c.args.pos == Words{"acme/game#1"});
    CHECK(c.args.get("message") == "hi");
    CHECK(c.args.get("as") == "a@b.example");
    CHECK(cli::resolve(table, {"close", "--json"}).args.pos == Words{"--json"});
    CHECK(cli::resolve(table, {"note", "x#1", "-"}).args.pos == Words{"x#1", "-"});
    CHECK(cli::resolve(table, {"reopen"}).args.pos.empty());
  }
  SUBCASE("each command's options are its own") {
    CHECK_THROWS_WITH_AS(cli::resolve(table, {"issue", "show", "x#1", "--spam"}),
                         "unknown option --spam", cli::UsageError);
    CHECK(cli::resolve(table, {"project", "add", "a/b", "--alias", "x@y.z"}).args.all("alias") ==
          Words{"x@y.z"});
  }
  SUBCASE("unknown commands") {
    CHECK_THROWS_WITH_AS(cli::resolve(table, {}), "no command given", cli::UsageError);
    CHECK_THROWS_WITH_AS(cli::resolve(table, {"frob"}), "unknown command 'frob'", cli::UsageError);
    CHECK_THROWS_WITH_AS(cli::resolve(table, {"frob", "x"}), "unknown command 'frob x'",
                         cli::UsageError);
  }
  SUBCASE("a group without a verb, or with a wrong one, shows the group's usage") {
    struct {
      Words words;
      std::string message;
    } cases[] = {
        {{"db"}, "db: expected init, migrate, version, check, copy, backup or restore"},
        {{"db", "frob"}, "db: expected init, migrate, version, check, copy, backup or restore"},
        {{"issue"}, "issue: expected list, show, ham, spam, participant, assign or label"},
        {{"project"}, "project: expected add, list, member, label, set, template or hook"},
        {{"outbox", "--json"}, "outbox: expected list or retry"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.words[0]);
      try {
        cli::resolve(table, c.words);
        FAIL("no GroupUsage");
      } catch (const cli::GroupUsage& e) {
        CHECK(e.what() == c.message);
        CHECK(e.group() == c.words[0]);
      }
    }
  }
}

TEST_CASE("cli::group_usage") {
  auto table = cli::commands();
  CHECK(cli::group_usage(table, "outbox") ==
        "usage: deskmail [-c FILE] COMMAND [ARGS] [--json]\n"
        "  outbox list [--state pending|sent|failed] | outbox retry ID\n");
  CHECK(cli::group_usage(table, "project") ==
        "usage: deskmail [-c FILE] COMMAND [ARGS] [--json]\n"
        "  project add PATH [--name NAME] [--key KEY] [--alias ADDR]...\n"
        "  project list\n"
        "  project member add|remove PATH EMAIL | project member set PATH EMAIL notify on|off\n"
        "  project label add PATH NAME [--colour #RRGGBB] | project label remove PATH NAME\n"
        "       project label list PATH\n"
        "  project set PATH "
        "confirmation|notify_members|reopen_on_reply|cc_participants|disclose_fixes on|off\n"
        "  project template PATH KIND (--subject S --file F | --reset)\n"
        "       KIND: thank_you new_note closed reopened member_new_issue member_note\n"
        "  project hook add PATH --forge git|gitlab|github|gitea --repo REPO [--branch B]\n"
        "       [--commit-url URL-with-%H] [--secret-file F]   commits that close issues\n"
        "  project hook list [PATH] | project hook remove PATH --forge F --repo REPO\n");
  CHECK(cli::group_usage(table, "db") ==
        "usage: deskmail [-c FILE] COMMAND [ARGS] [--json]\n"
        "  db init | db migrate | db version | db check [FILE]\n"
        "  db copy --to CONNECTION [--from CONNECTION]   move a desk to another database\n"
        "  db backup FILE | db restore FILE [--force]   SQLite: a consistent copy of the live "
        "database\n");
}

namespace {

// A scratch desk: a configuration and an SQLite database in a temp dir.
struct ScratchDesk {
  fs::path dir;
  std::string config;
  ScratchDesk() {
    std::string tmpl = "/tmp/deskmail-cli-XXXXXX";
    dir = mkdtemp(tmpl.data());
    config = (dir / "deskmail.yaml").string();
    std::ofstream(config) << "listen: [\"tcp:127.0.0.1:2424\"]\n"
                          << "address: desk@support.example.com\n"
                          << "database: \"sqlite3://db=" << (dir / "d.db").string() << "\"\n";
  }
  ~ScratchDesk() { fs::remove_all(dir); }

  struct Result {
    int status;
    std::string out, err;
  };
  Result run(const Words& words) {
    std::ostringstream out, err;
    int status = cli::execute(cli::resolve(cli::commands(), words), config, out, err);
    return {status, out.str(), err.str()};
  }
};

}  // namespace

TEST_CASE("cli::execute against a scratch desk") {
  ScratchDesk d;
  CHECK_THROWS_WITH(d.run({"project", "list"}),
                    "the database has no schema: run 'deskmail db init'");
  auto r = d.run({"db", "init"});
  CHECK(r.status == 0);
  CHECK(r.out == "database initialised, schema version " +
                     std::to_string(store::Store::kSchemaVersion) + "\n");

  r = d.run({"project", "add", "Acme/Game", "--alias", "help@acme.example"});
  CHECK(r.out == "project acme/game created; new issues: desk+acme-game@support.example.com\n");
  r = d.run({"project", "add", "acme/web", "--key", "web", "--json"});
  CHECK(r.out ==
        "{\"address\":\"desk+web@support.example.com\",\"aliases\":[],\"key\":\"web\","
        "\"path\":\"acme/web\"}\n");

  // The desk's rules refuse; main shows these as usage errors (exit 2).
  CHECK_THROWS_WITH_AS(d.run({"project", "add", "Bad Path"}),
                       "invalid project path 'Bad Path': segments of [a-z0-9._-] separated by "
                       "'/', like acme/game",
                       desk::Invalid);
  CHECK_THROWS_AS(d.run({"project", "add", "x", "--key", "reply-x"}), desk::Invalid);
  CHECK_THROWS_AS(d.run({"project", "add", "z", "--alias", "nope"}), desk::Invalid);
  CHECK_THROWS_WITH_AS(d.run({"project", "member", "add", "acme/game", "nope"}),
                       "invalid address 'nope'", desk::Invalid);

  r = d.run({"project", "member", "add", "acme/game", "Agent@support.example.com"});
  CHECK(r.out == "member agent@support.example.com\n");
  r = d.run({"project", "member", "remove", "acme/game", "other@support.example.com"});
  CHECK(r.status == 1);
  CHECK(r.out == "not a member: other@support.example.com\n");

  r = d.run({"project", "list"});
  CHECK(
      r.out ==
      "PATH       ADDRESS                             ISSUES  ALIASES            MEMBERS          "
      "          SETTINGS\n"
      "acme/game  desk+acme-game@support.example.com  0       help@acme.example  "
      "agent@support.example.com  confirmation=on notify_members=off reopen_on_reply=on "
      "cc_participants=off disclose_fixes=off\n"
      "acme/web   desk+web@support.example.com        0       -                  -              "
      "            confirmation=on notify_members=off reopen_on_reply=on cc_participants=off "
      "disclose_fixes=off\n");
  r = d.run({"issue", "list"});
  CHECK(r.out == "REF  STATE  CREATED (UTC)  UPDATED (UTC)  AUTHOR  ASSIGNEE  LABELS  TITLE\n");
  r = d.run({"issue", "show", "acme/game#9"});
  CHECK(r.status == 1);
  CHECK(r.err == "deskmail: no issue acme/game#9\n");
  CHECK_THROWS_WITH_AS(d.run({"issue", "list", "--limit", "x"}), "--limit needs a number",
                       cli::UsageError);
  CHECK_THROWS_WITH_AS(d.run({"reply", "acme/game#1"}),
                       "reply needs exactly one of -m TEXT, --file F or -", cli::UsageError);
  r = d.run({"outbox", "list", "--json"});
  CHECK(r.out == "[]\n");
}
