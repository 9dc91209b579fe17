// hook.cc: deskmail project hook add|list|remove (binding a repository to a
// project) and deskmail hook post-receive (what git runs after a push to a
// bound bare repository). What a push does, desk::Desk decides.
#include <filesystem>
#include <iostream>
#include <string>

#include "cli/git.h"
#include "cli/handlers.h"
#include "cli/json.h"
#include "cli/output.h"
#include "config/config.h"
#include "desk/desk.h"

namespace cli {

namespace {

constexpr std::size_t kLineMax = 4096;      // one ref update line
constexpr std::size_t kUpdatesMax = 10000;  // ref updates read from one push
constexpr std::size_t kMessageMax = 65536;  // of each commit message
constexpr std::size_t kLogMax = std::size_t{256} << 20;

std::string secret_from(const std::string& file) {
  std::string s = read_file(file);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.find('\n') != std::string::npos)
    throw UsageError("--secret-file must hold one line: the webhook's secret");
  return s;
}

// A bare repository's path as bindings store it: absolute, without symlinks.
std::string repo_path(const std::string& p) {
  std::error_code ec;
  auto abs = std::filesystem::weakly_canonical(std::filesystem::absolute(p, ec), ec);
  if (ec) throw std::runtime_error("cannot resolve " + p + ": " + ec.message());
  return abs.string();
}

json hook_json(const store::HookBinding& h) {
  return json{
      {"project", h.project_path}, {"forge", h.forge},           {"repo", h.repo},
      {"branch", h.branch},        {"commit_url", h.commit_url}, {"secret", !h.secret.empty()}};
}

}  // namespace

namespace project {

int hook(const Context& ctx) {
  const Args& a = ctx.args;
  const auto& pos = a.pos;
  std::string verb = pos.empty() ? "" : pos[0];
  if (verb == "list") {
    if (pos.size() > 2) throw UsageError("project hook list [PATH]");
    auto hs = ctx.desk->hooks(pos.size() == 2 ? std::optional(pos[1]) : std::nullopt);
    if (a.json) {
      json arr = json::array();
      for (const auto& h : hs) arr.push_back(hook_json(h));
      ctx.out << arr.dump(2) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows{
        {"PROJECT", "FORGE", "REPO", "BRANCH", "COMMIT URL"}};
    for (const auto& h : hs)
      rows.push_back({h.project_path, h.forge, h.repo, h.branch.empty() ? "(default)" : h.branch,
                      h.commit_url.empty() ? "-" : h.commit_url});
    print_table(ctx.out, rows);
    return 0;
  }
  if ((verb != "add" && verb != "remove") || pos.size() != 2 || !a.has("forge") || !a.has("repo"))
    throw UsageError("project hook add|remove PATH --forge git|gitlab|github|gitea --repo REPO");
  std::string forge = *a.get("forge"), repo = *a.get("repo");
  if (forge == "git") repo = repo_path(repo);
  if (verb == "remove") {
    bool gone = ctx.desk->remove_hook(pos[1], forge, repo);
    if (a.json)
      ctx.out
          << json{{"project", pos[1]}, {"forge", forge}, {"repo", repo}, {"removed", gone}}.dump()
          << "\n";
    else
      ctx.out << (gone ? "removed " : "no such hook: ") << forge << " " << repo << "\n";
    return gone ? 0 : 1;
  }
  store::HookBinding b;
  b.forge = forge;
  b.repo = repo;
  b.branch = a.get("branch").value_or("");
  b.commit_url = a.get("commit-url").value_or("");
  if (auto f = a.get("secret-file")) b.secret = secret_from(*f);
  b = ctx.desk->add_hook(pos[1], b);
  if (a.json)
    ctx.out << hook_json(b).dump() << "\n";
  else
    ctx.out << b.project_path << ": " << b.forge << " hook for " << b.repo << " on "
            << (b.branch.empty() ? "its default branch" : "branch " + b.branch) << "\n";
  return 0;
}

}  // namespace project

namespace hook {

namespace {

// The repository's default branch: git config deskmail.branch, else HEAD's.
std::string default_branch(const std::string& dir) {
  for (auto args : {std::vector<std::string>{"config", "--get", "deskmail.branch"},
                    std::vector<std::string>{"symbolic-ref", "--quiet", "--short", "HEAD"}}) {
    auto out = git::run(dir, args, kLineMax);
    while (out && !out->empty() && (out->back() == '\n' || out->back() == '\r')) out->pop_back();
    if (out && !out->empty()) return *out;
  }
  return "";
}

// The commits a ref update brought, oldest first, at most `max` (the newest).
std::vector<desk::FixCommit> commits_of(const std::string& dir, const std::string& old_sha,
                                        const std::string& new_sha, const std::string& ref,
                                        std::size_t max) {
  std::vector<std::string> args{"log", "-z", "--reverse", git::kLogFormat,
                                "--max-count=" + std::to_string(max)};
  if (old_sha.find_first_not_of('0') == std::string::npos) {
    // A new branch: what no other branch already has.
    args.insert(args.end(), {new_sha, "--not", "--exclude=" + ref, "--branches"});
  } else {
    args.push_back(old_sha + ".." + new_sha);
  }
  auto out = git::run(dir, args, kLogMax);
  if (!out) throw std::runtime_error("git log failed for " + ref);
  std::vector<desk::FixCommit> commits;
  for (auto& c : git::parse_log(*out)) {
    if (c.message.size() > kMessageMax) c.message.resize(kMessageMax);
    commits.push_back({c.sha, c.message, c.author_name, c.author_email, ""});
  }
  return commits;
}

bool hex_sha(const std::string& s) {
  return (s.size() == 40 || s.size() == 64) &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

int post_receive(const Context& ctx) {
  if (!ctx.args.pos.empty()) throw UsageError("hook post-receive takes the ref updates on stdin");
  const char* env = std::getenv("GIT_DIR");
  std::string dir = repo_path(env && *env ? env : ".");
  if (ctx.desk->find_hooks("git", dir).empty()) {
    ctx.err << "deskmail: no project is bound to " << dir
            << " (deskmail project hook add PATH --forge git --repo " << dir << ")\n";
    return 1;
  }
  std::string branch = default_branch(dir);
  desk::FixResult total;
  std::string line;
  std::size_t updates = 0;
  while (updates++ < kUpdatesMax && std::getline(std::cin, line)) {
    if (line.size() > kLineMax) continue;
    auto s1 = line.find(' '), s2 = line.find(' ', s1 == std::string::npos ? s1 : s1 + 1);
    if (s1 == std::string::npos || s2 == std::string::npos) {
      ctx.err << "deskmail: not a ref update: " << terminal_safe(line) << "\n";
      continue;
    }
    std::string old_sha = line.substr(0, s1), new_sha = line.substr(s1 + 1, s2 - s1 - 1),
                ref = line.substr(s2 + 1);
    if (!hex_sha(old_sha) || !hex_sha(new_sha) || ref.rfind("refs/heads/", 0) != 0) continue;
    if (new_sha.find_first_not_of('0') == std::string::npos) continue;  // a deleted branch
    desk::FixPush push;
    push.forge = "git";
    push.repo = dir;
    push.branch = ref.substr(11);
    push.default_branch = branch;
    push.commits = commits_of(dir, old_sha, new_sha, ref, ctx.cfg.fixes.commits_per_push);
    desk::FixResult r = ctx.desk->fix_push(push, ctx.cfg.fixes.refs_per_commit);
    total.bindings += r.bindings;
    total.closed += r.closed;
    total.noted += r.noted;
    total.seen += r.seen;
    total.missing += r.missing;
    total.mails += r.mails;
  }
  if (ctx.args.json)
    ctx.out << json{{"closed", total.closed},
                    {"noted", total.noted},
                    {"seen", total.seen},
                    {"missing", total.missing},
                    {"mails", total.mails}}
                   .dump()
            << "\n";
  else if (total.noted || total.seen || total.missing)
    ctx.out << "deskmail: " << total.closed << " issue(s) closed, " << total.noted << " note(s), "
            << total.mails << " mail(s) queued"
            << (total.seen ? ", " + std::to_string(total.seen) + " seen before" : "")
            << (total.missing ? ", " + std::to_string(total.missing) + " unknown issue(s)" : "")
            << "\n";
  return 0;
}

}  // namespace hook

}  // namespace cli
