// payload.h: the JSON bodies of forge webhooks, in the shapes the forges
// document, read into the desk's values (desk/fixes.h):
//
//   GitLab   X-Gitlab-Event: Push Hook            push to a branch
//            X-Gitlab-Event: Merge Request Hook   action "merge": a merge
//   GitHub   X-GitHub-Event: push | pull_request  closed with merged: true
//   Gitea    X-Gitea-Event:  push | pull_request  (Forgejo sends the same)
//
// Any other event (ping, tag push, issues, ...) is Kind::other.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "desk/fixes.h"

namespace forge {

enum class Forge { gitlab, github, gitea };

/// "gitlab", "github", "gitea" (and "forgejo", which is Gitea's); nullopt else.
std::optional<Forge> forge_from(std::string_view name);
/// The forge's name as bindings store it (--forge).
const char* forge_name(Forge f);

/// A body that is no JSON object, nests deeper than kMaxDepth, or lacks
/// what its event needs: HTTP 400.
class BadPayload : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kMaxDepth = 64;

/// What a webhook says.
struct Event {
  enum class Kind { push, merge, other } kind = Kind::other;
  /// forge, repo (the project's web address), branch, default_branch and
  /// commits (at most `max_commits`, the newest; a merge as one commit whose
  /// message is the title and description). delivery is left to the caller.
  desk::FixPush push;
};

/// Parses the body of event `event` (the X-...-Event header's value).
/// Throws BadPayload.
Event parse(Forge f, std::string_view event, std::string_view body, std::size_t max_commits);

}  // namespace forge
