// fixes.h: commits and merges that close issues (issue 22): what a push to a
// bound repository, or a merged merge request, does to the issues it names.
//
// The binding an admin made (`deskmail project hook add`) is the authority: a
// push through the git hook, or a verified webhook, acts as the desk. Only
// the branch the binding names (else the repository's default branch)
// counts. Each (commit, issue) acts once, however often the commit is pushed
// again. A closing reference closes the issue with an internal note naming
// the commit and its author (author kind support_bot) and mails the
// customers the "closed" mail, with %{FIX_TITLE} and %{FIX_URL} filled only
// when the project discloses fixes; an issue already closed gets the note
// and no second mail. A mention adds an internal note and changes nothing
// else.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace desk {

/// One commit (or merged merge request) as a push or a webhook names it.
struct FixCommit {
  /// The commit's SHA (hex), or for a merge request without a merge commit
  /// an id that stays the same for it ("mr:<url>"): what "once" is counted by.
  std::string id;
  std::string message;  // the whole commit message, or the MR's title and description
  std::string author_name, author_email;
  std::string url;  // its web address; "": from the binding's commit URL (%H), if any
};

/// A push (or a merge) to one repository.
struct FixPush {
  std::string forge;               // git, gitlab, github, gitea
  std::string repo;                // as bound: the bare repository's path, or the project URL
  std::string branch;              // the branch pushed to, without refs/heads/
  std::string default_branch;      // the repository's own default branch (HEAD, the payload's)
  std::vector<FixCommit> commits;  // oldest first
  /// The webhook's delivery id ("" for none): a delivery seen before by a
  /// binding acts no more (see Desk::fix_push).
  std::string delivery;
  /// When not empty, only these bindings act: those whose secret the
  /// webhook proved (a repository bound to several projects with different
  /// secrets).
  std::vector<std::int64_t> only_hooks;
};

/// What a push did.
struct FixResult {
  int bindings = 0;     // bindings of the repository that took the push's branch
  int closed = 0;       // issues closed now
  int noted = 0;        // notes added (closing and mentioning)
  int seen = 0;         // (commit, issue) pairs acted on before: nothing done
  int missing = 0;      // references to issues that do not exist
  int mails = 0;        // mails queued
  bool replay = false;  // the delivery was seen before: nothing done at all
};

/// The commit's first line (its title), at most 200 bytes.
std::string commit_title(const std::string& message);

}  // namespace desk
