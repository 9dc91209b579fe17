// hooks.cc: binding repositories to projects (deskmail project hook add,
// list, remove): what a binding may hold, checked before it is stored.
#include <algorithm>

#include "desk/desk.h"
#include "route/route.h"

namespace desk {

namespace {

const char* const kForges[] = {"git", "gitlab", "github", "gitea"};

bool has_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool web_url(const std::string& u) {
  bool scheme = u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0;
  return scheme && u.size() <= 2000 && u.find(' ') == std::string::npos && !has_control(u) &&
         u.find("://") + 3 < u.size();
}

// A branch name as git check-ref-format(1) would take it, without refs/heads/.
bool valid_branch(const std::string& b) {
  if (b.empty() || b.size() > 250 || b.front() == '-' || b.front() == '/' || b.back() == '/' ||
      b.back() == '.' || has_control(b))
    return false;
  for (const char* bad : {"..", "@{", "//", " ", "~", "^", ":", "?", "*", "[", "\\"})
    if (b.find(bad) != std::string::npos) return false;
  return true;
}

void check_binding(const store::HookBinding& b) {
  if (std::find(std::begin(kForges), std::end(kForges), b.forge) == std::end(kForges))
    throw Invalid("unknown forge '" + b.forge + "' (git, gitlab, github or gitea)");
  if (b.forge == "git") {
    if (b.repo.empty() || b.repo.front() != '/' || b.repo.size() > 4000 || has_control(b.repo))
      throw Invalid("--repo for --forge git is the bare repository's absolute path");
    if (!b.secret.empty()) throw Invalid("--secret-file is for webhooks, not --forge git");
  } else {
    if (!web_url(b.repo))
      throw Invalid("--repo for --forge " + b.forge +
                    " is the project's web address, like https://gitlab.example.com/acme/game");
    if (b.secret.empty() || b.secret.size() > 1000 || has_control(b.secret))
      throw Invalid("--forge " + b.forge +
                    " needs --secret-file: one line of at most 1000 printable bytes");
  }
  if (!b.commit_url.empty() &&
      (!web_url(b.commit_url) || b.commit_url.find("%H") == std::string::npos))
    throw Invalid(
        "--commit-url must be an http(s) address with %H for the commit, like "
        "https://git.example.com/x/commit/%H");
  if (!b.branch.empty() && !valid_branch(b.branch))
    throw Invalid("invalid branch name '" + b.branch + "'");
}

}  // namespace

std::string normalize_repo(const std::string& forge, const std::string& repo) {
  std::string r = repo;
  if (forge != "git") r = route::lower(r);
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  if (forge != "git" && r.size() > 4 && r.compare(r.size() - 4, 4, ".git") == 0)
    r.resize(r.size() - 4);
  return r;
}

store::HookBinding Desk::add_hook(const std::string& path, store::HookBinding b) {
  b.forge = route::lower(b.forge);
  b.repo = normalize_repo(b.forge, b.repo);
  if (b.branch.rfind("refs/heads/", 0) == 0) b.branch = b.branch.substr(11);
  check_binding(b);
  b.created_at = now_();
  return store_.transact([&](store::Tx& tx) {
    b.project_id = store::project_id(tx, path);
    b.project_path = path;
    b.id = tx.hooks().add(b);
    return b;
  });
}

std::vector<store::HookBinding> Desk::hooks(const std::optional<std::string>& path) {
  return store_.read([&](store::Tx& tx) {
    std::optional<std::int64_t> pid;
    if (path) pid = store::project_id(tx, *path);
    return tx.hooks().list(pid);
  });
}

bool Desk::remove_hook(const std::string& path, const std::string& forge_in,
                       const std::string& repo) {
  std::string forge = route::lower(forge_in);
  return store_.transact([&](store::Tx& tx) {
    return tx.hooks().remove(store::project_id(tx, path), forge, normalize_repo(forge, repo));
  });
}

std::vector<store::HookBinding> Desk::find_hooks(const std::string& forge_in,
                                                 const std::string& repo) {
  std::string forge = route::lower(forge_in);
  return store_.read(
      [&](store::Tx& tx) { return tx.hooks().find(forge, normalize_repo(forge, repo)); });
}

}  // namespace desk
