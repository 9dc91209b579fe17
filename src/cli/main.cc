// main.cc: deskmail, the command line for admins and responders.
//
//   deskmail [-c FILE] db init|migrate|version|check
//   deskmail [-c FILE] db copy --to CONNECTION [--from CONNECTION]
//   deskmail [-c FILE] project add PATH [--name NAME] [--key KEY] [--alias ADDR]... [--json]
//   deskmail [-c FILE] project list [--json]
//   deskmail [-c FILE] issue list [--project PATH] [--state S] [--limit N] [--spam] [--json]
//   deskmail [-c FILE] issue show REF [--json]
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/config.h"
#include "mail/message.h"
#include "notify/notify.h"
#include "route/route.h"
#include "store/store.h"

using json = nlohmann::json;

namespace {

constexpr int kUsage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* kUsageText =
    "usage: deskmail [-c FILE] COMMAND [ARGS] [--json]\n"
    "  db init | db migrate | db version | db check\n"
    "  db copy --to CONNECTION [--from CONNECTION]   move a desk to another database\n"
    "  project add PATH [--name NAME] [--key KEY] [--alias ADDR]...\n"
    "  project list\n"
    "  issue list [--project PATH] [--state opened|closed] [--limit N] [--spam]\n"
    "  issue show REF            (REF is group/project#N)\n"
    "  issue ham REF | issue spam REF   release from / put into quarantine\n"
    "  reply REF (-m TEXT | --file F | -) [--as EMAIL]   public answer, mailed to the customer\n"
    "  note REF (-m TEXT | --file F | -) [--as EMAIL]    internal note, never mailed\n"
    "  close REF | reopen REF\n"
    "  project member add|remove PATH EMAIL\n"
    "  project set PATH confirmation|notify_members|reopen_on_reply on|off\n"
    "  project template PATH KIND (--subject S --file F | --reset)\n"
    "       KIND: thank_you new_note closed reopened member_new_issue member_note\n"
    "  outbox list [--state pending|sent|failed] | outbox retry ID\n";

std::string when(std::int64_t t) {
  if (t <= 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

// Prints rows as aligned columns (display width counted in UTF-8 characters).
void table(const std::vector<std::vector<std::string>>& rows) {
  auto width = [](const std::string& s) {
    std::size_t w = 0;
    for (unsigned char c : s)
      if ((c & 0xC0) != 0x80) ++w;
    return w;
  };
  std::vector<std::size_t> w;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], width(r[i]));
    }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - width(r[i]) + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

struct Args {
  std::vector<std::string> pos;
  std::vector<std::pair<std::string, std::string>> opts;
  bool json = false;

  std::optional<std::string> get(const std::string& k) const {
    std::optional<std::string> v;
    for (const auto& [n, val] : opts)
      if (n == k) v = val;
    return v;
  }
  std::vector<std::string> all(const std::string& k) const {
    std::vector<std::string> v;
    for (const auto& [n, val] : opts)
      if (n == k) v.push_back(val);
    return v;
  }
};

Args parse_args(int argc, char** argv, int from, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags) {
  Args a;
  for (int i = from; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--json") {
      a.json = true;
    } else if (s == "-m" && i + 1 < argc) {
      a.opts.emplace_back("message", argv[++i]);
    } else if (s.rfind("--", 0) == 0) {
      auto eq = s.find('=');
      std::string name = s.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
        a.opts.emplace_back(name, "1");
      } else if (std::find(with_value.begin(), with_value.end(), name) != with_value.end()) {
        if (eq != std::string::npos)
          a.opts.emplace_back(name, s.substr(eq + 1));
        else if (i + 1 < argc)
          a.opts.emplace_back(name, argv[++i]);
        else
          throw UsageError("option --" + name + " needs a value");
      } else {
        throw UsageError("unknown option " + s);
      }
    } else {
      a.pos.push_back(s);
    }
  }
  return a;
}

bool valid_path(const std::string& p) {
  if (p.empty() || p.size() > 200 || p.front() == '/' || p.back() == '/') return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    auto slash = p.find('/', start);
    std::string seg =
        p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!route::valid_project_key(seg)) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

notify::Settings settings(const config::Config& c) {
  return {c.base_local(), c.base_domain(), c.outbound.from_name};
}

std::string address_for(const config::Config& c, const std::string& tag) {
  return c.base_local() + "+" + tag + "@" + c.base_domain();
}

int cmd_db(store::Store& st, const std::string& sub, const Args& a) {
  if (sub == "init") {
    st.init();
    int v = st.version();
    if (a.json)
      std::cout << json{{"version", v}}.dump() << "\n";
    else
      std::cout << "database initialised, schema version " << v << "\n";
  } else if (sub == "migrate") {
    int from = st.version();
    int v = st.migrate();
    if (a.json)
      std::cout << json{{"from", from}, {"version", v}}.dump() << "\n";
    else
      std::cout << "schema version " << from << " -> " << v << "\n";
  } else if (sub == "version") {
    int v = st.version();
    if (a.json)
      std::cout << json{{"version", v}, {"supported", store::Store::kSchemaVersion}}.dump() << "\n";
    else
      std::cout << v << "\n";
  } else if (sub == "check") {
    auto problems = st.check();
    if (a.json) {
      std::cout << json{{"problems", problems}, {"ok", problems.empty()}}.dump() << "\n";
    } else {
      for (const auto& p : problems) std::cout << p << "\n";
      if (problems.empty()) std::cout << "database consistent\n";
    }
    return problems.empty() ? 0 : 1;
  } else {
    throw UsageError("db: expected init, migrate, version, check or copy");
  }
  return 0;
}

json issue_json(const store::IssueSummary& s) {
  return json{{"ref", s.ref},     {"project", s.project},       {"iid", s.iid},
              {"title", s.title}, {"state", s.state},           {"author", s.author},
              {"spam", s.spam},   {"created_at", s.created_at}, {"updated_at", s.updated_at}};
}

int run(int argc, char** argv) {
  std::string path = "/etc/deskmail/deskmail.yaml";
  if (const char* env = std::getenv("DESKMAIL_CONFIG")) path = env;
  int i = 1;
  for (; i < argc; ++i) {
    std::string s = argv[i];
    if ((s == "-c" || s == "--config") && i + 1 < argc) {
      path = argv[++i];
    } else if (s == "-h" || s == "--help") {
      std::cout << kUsageText;
      return 0;
    } else if (s == "--version" || s == "-V") {
      std::cout << "deskmail " << DESKMAIL_VERSION << "\n";
      return 0;
    } else {
      break;
    }
  }
  if (argc - i < 1) throw UsageError("no command given");
  std::string group = argv[i++];
  std::string sub = i < argc ? argv[i++] : "";

  config::Config cfg = config::load(path);
  if (group == "db" && sub == "copy") {
    // Moving a desk: every row from the configured database (or --from) into
    // an empty one, e.g. from SQLite to PostgreSQL.
    Args a = parse_args(argc, argv, i, {"to", "from"}, {});
    auto to = a.get("to");
    if (!to || !a.pos.empty()) throw UsageError("db copy needs --to CONNECTION");
    std::string from = a.get("from").value_or(cfg.database);
    auto counts = store::copy(from, *to, cfg.timeouts.store_wait);
    if (a.json) {
      json j = json::object();
      for (const auto& [table, n] : counts) j[table] = n;
      std::cout << j.dump() << "\n";
    } else {
      for (const auto& [table, n] : counts) std::cout << table << ": " << n << " rows\n";
      std::cout << "copied; point 'database' in the configuration at the new store\n";
    }
    return 0;
  }
  auto st = store::open(cfg.database, cfg.timeouts.store_wait);

  if (group == "db") return cmd_db(*st, sub, parse_args(argc, argv, i, {}, {}));

  int v = st->version();
  if (v != store::Store::kSchemaVersion)
    throw store::Error(v == 0 ? "the database has no schema: run 'deskmail db init'"
                              : "database schema version " + std::to_string(v) +
                                    " does not match this program: run 'deskmail db migrate'");

  if (group == "project" && sub == "add") {
    Args a = parse_args(argc, argv, i, {"name", "key", "alias"}, {});
    if (a.pos.size() != 1) throw UsageError("project add needs exactly one PATH");
    std::string p = route::lower(a.pos[0]);
    if (!valid_path(p))
      throw UsageError("invalid project path '" + a.pos[0] +
                       "': segments of [a-z0-9._-] separated by '/', like acme/game");
    std::string key = a.get("key").value_or(p);
    for (auto& c : key)
      if (c == '/') c = '-';
    key = route::lower(key);
    if (!route::valid_project_key(key) || key.rfind("reply-", 0) == 0)
      throw UsageError("invalid project key '" + key + "' (a-z0-9._-, not starting with reply-)");
    std::vector<std::string> aliases;
    for (const auto& al : a.all("alias")) {
      auto c = route::canonical_address(al);
      if (!c) throw UsageError("invalid alias address '" + al + "'");
      aliases.push_back(*c);
    }
    auto pr = st->add_project(p, a.get("name").value_or(p), key, aliases);
    std::string addr = address_for(cfg, pr.key);
    if (a.json)
      std::cout << json{{"path", pr.path},
                        {"address", addr},
                        {"key", pr.key},
                        {"aliases", pr.aliases}}
                       .dump()
                << "\n";
    else
      std::cout << "project " << pr.path << " created; new issues: " << addr << "\n";
    return 0;
  }
  if (group == "project" && sub == "list") {
    Args a = parse_args(argc, argv, i, {}, {});
    auto ps = st->list_projects();
    if (a.json) {
      json arr = json::array();
      for (const auto& p : ps)
        arr.push_back(json{{"path", p.path},
                           {"name", p.name},
                           {"key", p.key},
                           {"address", address_for(cfg, p.key)},
                           {"aliases", p.aliases},
                           {"enabled", p.enabled},
                           {"confirmation", p.confirmation},
                           {"notify_members", p.notify_members},
                           {"reopen_on_reply", p.reopen_on_reply},
                           {"members", p.members},
                           {"issues", p.issues}});
      std::cout << arr.dump(2) << "\n";
    } else {
      std::vector<std::vector<std::string>> rows{{"PATH", "ADDRESS", "ISSUES", "ALIASES"}};
      for (const auto& p : ps) {
        std::string al;
        for (const auto& x : p.aliases) al += (al.empty() ? "" : ", ") + x;
        rows.push_back(
            {p.path, address_for(cfg, p.key), std::to_string(p.issues), al.empty() ? "-" : al});
      }
      table(rows);
    }
    return 0;
  }
  if (group == "issue" && sub == "list") {
    Args a = parse_args(argc, argv, i, {"project", "state", "limit"}, {"spam"});
    store::IssueFilter f;
    f.project = a.get("project");
    f.state = a.get("state");
    f.include_spam = a.get("spam").has_value();
    if (auto l = a.get("limit")) {
      try {
        f.limit = std::stoll(*l);
      } catch (...) {
        throw UsageError("--limit needs a number");
      }
      if (*f.limit < 0) throw UsageError("--limit needs a number >= 0");
    }
    auto issues = st->list_issues(f);
    if (a.json) {
      json arr = json::array();
      for (const auto& s : issues) arr.push_back(issue_json(s));
      std::cout << arr.dump(2) << "\n";
    } else {
      std::vector<std::vector<std::string>> rows{
          {"REF", "STATE", "CREATED (UTC)", "AUTHOR", "TITLE"}};
      for (const auto& s : issues)
        rows.push_back(
            {s.ref, s.state + (s.spam ? " (spam)" : ""), when(s.created_at), s.author, s.title});
      table(rows);
    }
    return 0;
  }
  if (group == "issue" && sub == "show") {
    Args a = parse_args(argc, argv, i, {}, {});
    if (a.pos.size() != 1) throw UsageError("issue show needs exactly one REF");
    auto d = st->show_issue(a.pos[0]);
    if (!d) {
      std::cerr << "deskmail: no issue " << a.pos[0] << "\n";
      return 1;
    }
    if (a.json) {
      json j = issue_json(d->summary);
      j["description"] = d->description;
      j["notes"] = json::array();
      for (const auto& n : d->notes)
        j["notes"].push_back(json{{"author_kind", n.author_kind},
                                  {"author", n.author},
                                  {"body", n.body},
                                  {"full_body", n.full_body},
                                  {"spam", n.spam},
                                  {"internal", n.internal},
                                  {"created_at", n.created_at}});
      j["attachments"] = json::array();
      for (const auto& at : d->attachments)
        j["attachments"].push_back(json{{"filename", at.filename},
                                        {"content_type", at.content_type},
                                        {"size", at.size},
                                        {"sha256", at.sha256}});
      j["participants"] = json::array();
      for (const auto& p : d->participants)
        j["participants"].push_back(
            json{{"email", p.email},
                 {"reply_address", notify::reply_address(settings(cfg), p.reply_key)},
                 {"subscribed", p.subscribed},
                 {"bouncing", p.bouncing}});
      std::cout << j.dump(2) << "\n";
    } else {
      const auto& s = d->summary;
      std::cout << s.ref << "  " << s.title << "\n"
                << "state: " << s.state << (s.spam ? " (spam)" : "") << "   author: " << s.author
                << "   created: " << when(s.created_at) << " UTC\n\n"
                << d->description << "\n";
      for (const auto& at : d->attachments)
        std::cout << "\n[attachment] " << at.filename << " (" << at.content_type << ", " << at.size
                  << " bytes, sha256 " << at.sha256.substr(0, 16) << "…)";
      if (!d->attachments.empty()) std::cout << "\n";
      for (const auto& n : d->notes)
        std::cout << "\n--- " << n.author_kind << " " << n.author << ", " << when(n.created_at)
                  << " UTC" << (n.internal ? " (internal)" : "") << "\n"
                  << n.body << "\n";
      std::cout << "\nparticipants:\n";
      for (const auto& p : d->participants)
        std::cout << "  " << p.email << (p.subscribed ? "" : " (unsubscribed)")
                  << "  reply: " << notify::reply_address(settings(cfg), p.reply_key) << "\n";
    }
    return 0;
  }
  notify::Composer composer(settings(cfg));
  if (group == "reply" || group == "note") {
    // `sub` is the REF here.
    Args a = parse_args(argc, argv, i, {"message", "file", "as"}, {"internal"});
    if (sub.empty()) throw UsageError(group + " needs a REF");
    std::string text;
    int sources = 0;
    if (auto m = a.get("message")) {
      text = *m;
      ++sources;
    }
    if (auto f = a.get("file")) {
      std::ifstream in(*f, std::ios::binary);
      if (!in) throw std::runtime_error("cannot read " + *f);
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
      ++sources;
    }
    if (std::find(a.pos.begin(), a.pos.end(), "-") != a.pos.end()) {
      std::ostringstream ss;
      ss << std::cin.rdbuf();
      text = ss.str();
      ++sources;
    }
    if (sources != 1) throw UsageError(group + " needs exactly one of -m TEXT, --file F or -");
    text = mail::to_valid_utf8(text);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) throw UsageError("the text is empty");
    store::NoteIn note;
    note.author = a.get("as").value_or(cfg.responder.empty() ? cfg.address : cfg.responder);
    note.body = text;
    note.internal = group == "note";
    int n = st->add_note(sub, note, &composer);
    if (a.json)
      std::cout << json{{"ref", sub}, {"internal", note.internal}, {"mails_queued", n}}.dump()
                << "\n";
    else
      std::cout << (note.internal ? "internal note added to " : "reply added to ") << sub << "; "
                << n << " mail(s) queued\n";
    return 0;
  }
  if (group == "issue" && (sub == "ham" || sub == "spam")) {
    Args a = parse_args(argc, argv, i, {}, {});
    if (a.pos.size() != 1) throw UsageError("issue " + sub + " needs exactly one REF");
    int n = st->set_spam(a.pos[0], sub == "spam", &composer);
    if (a.json)
      std::cout << json{{"ref", a.pos[0]},
                        {"spam", sub == "spam"},
                        {"changed", n >= 0},
                        {"mails_queued", std::max(n, 0)}}
                       .dump()
                << "\n";
    else if (n < 0)
      std::cout << a.pos[0] << " already " << (sub == "spam" ? "flagged spam" : "not spam") << "\n";
    else
      std::cout << a.pos[0] << (sub == "spam" ? " flagged spam" : " released") << "; " << n
                << " mail(s) queued\n";
    return 0;
  }
  if (group == "close" || group == "reopen") {
    Args a = parse_args(argc, argv, i, {}, {});
    if (sub.empty()) throw UsageError(group + " needs a REF");
    int n = st->set_state(sub, group == "close" ? "closed" : "opened", &composer);
    if (a.json)
      std::cout << json{{"ref", sub}, {"changed", n >= 0}, {"mails_queued", std::max(n, 0)}}.dump()
                << "\n";
    else if (n < 0)
      std::cout << sub << " already " << (group == "close" ? "closed" : "open") << "\n";
    else
      std::cout << sub << (group == "close" ? " closed; " : " reopened; ") << n
                << " mail(s) queued\n";
    return 0;
  }
  if (group == "project" && sub == "member") {
    Args a = parse_args(argc, argv, i, {}, {});
    if (a.pos.size() != 3 || (a.pos[0] != "add" && a.pos[0] != "remove"))
      throw UsageError("project member add|remove PATH EMAIL");
    auto email = route::canonical_address(a.pos[2]);
    if (!email) throw UsageError("invalid address '" + a.pos[2] + "'");
    bool ok = true;
    if (a.pos[0] == "add")
      st->add_member(a.pos[1], *email);
    else
      ok = st->remove_member(a.pos[1], *email);
    if (a.json)
      std::cout << json{{"path", a.pos[1]}, {"member", *email}, {"changed", ok}}.dump() << "\n";
    else
      std::cout << (a.pos[0] == "add" ? "member "
                    : ok              ? "removed "
                                      : "not a member: ")
                << *email << "\n";
    return ok ? 0 : 1;
  }
  if (group == "project" && sub == "set") {
    Args a = parse_args(argc, argv, i, {}, {});
    if (a.pos.size() != 3 || (a.pos[2] != "on" && a.pos[2] != "off"))
      throw UsageError("project set PATH confirmation|notify_members|reopen_on_reply on|off");
    st->set_project_flag(a.pos[0], a.pos[1], a.pos[2] == "on");
    if (a.json)
      std::cout << json{{"path", a.pos[0]}, {a.pos[1], a.pos[2] == "on"}}.dump() << "\n";
    else
      std::cout << a.pos[0] << ": " << a.pos[1] << " " << a.pos[2] << "\n";
    return 0;
  }
  if (group == "project" && sub == "template") {
    Args a = parse_args(argc, argv, i, {"subject", "file"}, {"reset"});
    if (a.pos.size() != 2)
      throw UsageError("project template PATH KIND (--subject S --file F | --reset)");
    auto kind = store::mail_kind_from(a.pos[1]);
    if (!kind) throw UsageError("unknown template kind '" + a.pos[1] + "'");
    std::string subject = a.get("subject").value_or(""), body;
    if (auto f = a.get("file")) {
      std::ifstream in(*f, std::ios::binary);
      if (!in) throw std::runtime_error("cannot read " + *f);
      std::ostringstream ss;
      ss << in.rdbuf();
      body = mail::to_valid_utf8(ss.str());
    }
    if (a.get("reset"))
      subject.clear(), body.clear();
    else if (subject.empty() && body.empty())
      throw UsageError("give --subject and/or --file, or --reset");
    st->set_template(a.pos[0], *kind, subject, body);
    std::cout << (a.json
                      ? json{{"path", a.pos[0]}, {"kind", a.pos[1]}}.dump()
                      : a.pos[0] + ": template " + a.pos[1] + (a.get("reset") ? " reset" : " set"))
              << "\n";
    return 0;
  }
  if (group == "outbox" && sub == "list") {
    Args a = parse_args(argc, argv, i, {"state"}, {});
    auto items = st->list_outbox(a.get("state"));
    if (a.json) {
      json arr = json::array();
      for (const auto& o : items)
        arr.push_back(json{{"id", o.id},
                           {"to", o.recipient},
                           {"subject", o.subject},
                           {"kind", o.kind},
                           {"state", o.state},
                           {"attempts", o.attempts},
                           {"last_error", o.last_error},
                           {"message_id", o.message_id},
                           {"created_at", o.created_at},
                           {"next_attempt_at", o.next_attempt_at}});
      std::cout << arr.dump(2) << "\n";
    } else {
      std::vector<std::vector<std::string>> rows{
          {"ID", "STATE", "TRIES", "KIND", "TO", "SUBJECT", "LAST ERROR"}};
      for (const auto& o : items)
        rows.push_back({std::to_string(o.id), o.state, std::to_string(o.attempts), o.kind,
                        o.recipient, o.subject, o.last_error.empty() ? "-" : o.last_error});
      table(rows);
    }
    return 0;
  }
  if (group == "outbox" && sub == "retry") {
    Args a = parse_args(argc, argv, i, {}, {});
    if (a.pos.size() != 1) throw UsageError("outbox retry ID");
    long long id = 0;
    try {
      id = std::stoll(a.pos[0]);
    } catch (...) {
      throw UsageError("outbox retry needs a numeric ID");
    }
    bool ok = st->retry_outbox(id);
    if (!ok) {
      std::cerr << "deskmail: no unsent outbox mail " << id << "\n";
      return 1;
    }
    std::cout << (a.json ? json{{"id", id}, {"state", "pending"}}.dump()
                         : "outbox mail " + std::to_string(id) + " will be retried now")
              << "\n";
    return 0;
  }
  throw UsageError("unknown command '" + group + (sub.empty() ? "" : " " + sub) + "'");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "deskmail: " << e.what() << "\n" << kUsageText;
    return kUsage;
  } catch (const config::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "deskmail: " << e.what() << "\n";
    return 1;
  }
}
