// payload.cc: forge webhook bodies into the desk's values (see payload.h),
// with nlohmann::json.
#include "forge/payload.h"

#include <nlohmann/json.hpp>

namespace forge {

namespace {

using json = nlohmann::json;

constexpr std::size_t kTextMax = 65536;  // of a commit message or MR description
constexpr std::size_t kFieldMax = 2000;  // of a name, address, URL, branch

// nlohmann parses iteratively, but a body of nothing but '[' would still
// build millions of nested values: refuse deep nesting before parsing.
void check_depth(std::string_view body) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) throw BadPayload("the body nests deeper than 64 levels");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// The member at `path` when it is a string, clipped; "" otherwise.
std::string text(const json& j, std::initializer_list<const char*> path,
                 std::size_t max = kFieldMax) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return "";
    auto it = at->find(key);
    if (it == at->end()) return "";
    at = &*it;
  }
  if (!at->is_string()) return "";
  const std::string& s = at->get_ref<const std::string&>();
  return s.size() > max ? s.substr(0, max) : s;
}

bool flag(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return false;
    auto it = at->find(key);
    if (it == at->end()) return false;
    at = &*it;
  }
  return at->is_boolean() && at->get<bool>();
}

std::string branch_of(const std::string& ref) {
  return ref.rfind("refs/heads/", 0) == 0 ? ref.substr(11) : "";
}

// commits[] of a push: GitLab, GitHub and Gitea name the same fields.
void read_commits(const json& j, std::size_t max, desk::FixPush& push) {
  auto it = j.find("commits");
  if (it == j.end() || it->is_null()) return;
  if (!it->is_array()) throw BadPayload("commits is not a list");
  std::size_t skip = it->size() > max ? it->size() - max : 0;
  for (const auto& c : *it) {
    if (skip > 0) {
      --skip;
      continue;
    }
    if (!c.is_object()) throw BadPayload("a commit is not an object");
    desk::FixCommit fc{text(c, {"id"}, 100), text(c, {"message"}, kTextMax),
                       text(c, {"author", "name"}), text(c, {"author", "email"}), text(c, {"url"})};
    if (fc.id.empty()) throw BadPayload("a commit without an id");
    push.commits.push_back(std::move(fc));
  }
}

// A merged merge request as one "commit": the merge commit's SHA when there
// is one (so a push of that commit acts no second time), else the MR's URL.
desk::FixCommit merge_commit(const std::string& sha, const std::string& title,
                             const std::string& description, const std::string& url,
                             const std::string& name, const std::string& email) {
  if (title.empty() && description.empty())
    throw BadPayload("a merge without title or description");
  std::string id = !sha.empty() ? sha : "mr:" + url;
  if (id == "mr:") throw BadPayload("a merge without merge commit or URL");
  return {id, title + "\n\n" + description, name, email, url};
}

Event gitlab(std::string_view event, const json& j, std::size_t max) {
  Event e;
  e.push.repo = text(j, {"project", "web_url"});
  e.push.default_branch = text(j, {"project", "default_branch"});
  if (event == "Push Hook") {
    e.push.branch = branch_of(text(j, {"ref"}));
    if (e.push.branch.empty()) return e;
    e.kind = Event::Kind::push;
    read_commits(j, max, e.push);
  } else if (event == "Merge Request Hook") {
    if (text(j, {"object_attributes", "action"}) != "merge") return e;
    e.kind = Event::Kind::merge;
    e.push.branch = text(j, {"object_attributes", "target_branch"});
    e.push.commits.push_back(merge_commit(text(j, {"object_attributes", "merge_commit_sha"}, 100),
                                          text(j, {"object_attributes", "title"}),
                                          text(j, {"object_attributes", "description"}, kTextMax),
                                          text(j, {"object_attributes", "url"}),
                                          text(j, {"user", "name"}), text(j, {"user", "email"})));
  }
  return e;
}

// GitHub and Gitea: the same shape for push and pull_request.
Event github_like(std::string_view event, const json& j, std::size_t max) {
  Event e;
  e.push.repo = text(j, {"repository", "html_url"});
  e.push.default_branch = text(j, {"repository", "default_branch"});
  if (event == "push") {
    e.push.branch = branch_of(text(j, {"ref"}));
    if (e.push.branch.empty() || flag(j, {"deleted"})) return e;
    e.kind = Event::Kind::push;
    read_commits(j, max, e.push);
  } else if (event == "pull_request") {
    if (text(j, {"action"}) != "closed" || !flag(j, {"pull_request", "merged"})) return e;
    e.kind = Event::Kind::merge;
    e.push.branch = text(j, {"pull_request", "base", "ref"});
    e.push.commits.push_back(merge_commit(
        text(j, {"pull_request", "merge_commit_sha"}, 100), text(j, {"pull_request", "title"}),
        text(j, {"pull_request", "body"}, kTextMax), text(j, {"pull_request", "html_url"}),
        text(j, {"pull_request", "user", "login"}), text(j, {"pull_request", "user", "email"})));
  }
  return e;
}

}  // namespace

std::optional<Forge> forge_from(std::string_view name) {
  if (name == "gitlab") return Forge::gitlab;
  if (name == "github") return Forge::github;
  if (name == "gitea" || name == "forgejo") return Forge::gitea;
  return std::nullopt;
}

const char* forge_name(Forge f) {
  switch (f) {
    case Forge::gitlab:
      return "gitlab";
    case Forge::github:
      return "github";
    case Forge::gitea:
      return "gitea";
  }
  return "gitea";
}

Event parse(Forge f, std::string_view event, std::string_view body, std::size_t max_commits) {
  check_depth(body);
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) throw BadPayload("the body is not JSON");
  if (!j.is_object()) throw BadPayload("the body is not a JSON object");
  Event e = f == Forge::gitlab ? gitlab(event, j, max_commits) : github_like(event, j, max_commits);
  e.push.forge = forge_name(f);
  if (e.kind != Event::Kind::other && e.push.repo.empty())
    throw BadPayload("the body names no repository");
  if (e.kind != Event::Kind::other && e.push.branch.empty())
    throw BadPayload("the body names no branch");
  return e;
}

}  // namespace forge
