// fix_refs.h: the issue references teams write in commit messages and merge
// request descriptions (issue 22), with the words GitLab and GitHub know:
//
//   Fixes acme/game#42                  closes acme/game#42
//   Closes: desk#7, desk#8 and desk#9   closes three (a repository bound to one project)
//   Resolved issue acme/game#3          closes it
//   See acme/game#42                    mentions it: an internal note, no state change
//
// Closing words (any case, an optional colon after them): close, closes,
// closed, closing, fix, fixes, fixed, fixing, resolve, resolves, resolved,
// resolving, implement, implements, implemented, implementing. A list goes
// on over ",", "and", ", and" or spaces on the same line, each item
// optionally after "issue" or "issues".
//
// A reference is a project path and a number (`acme/game#42`), or `desk#42`
// for a repository bound to exactly one project. It is not one when glued to
// what surrounds it (`acme/game#42x`, `x/acme/game#42`, a URL's fragment).
// Pure: no store, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace desk {

/// One issue a text refers to, and whether it closes it.
struct FixRef {
  enum class Action { close, mention } action = Action::mention;
  std::string path;  // project path, lower case
  std::int64_t iid = 0;
  bool operator==(const FixRef&) const = default;
};

/// The references in `text` to the projects in `allowed` (paths, lower
/// case), each issue once, in the order of first appearance; an issue both
/// closed and mentioned is closed. `desk#N` names project `desk_path` (""
/// when the repository is bound to more than one project: then it names
/// nothing). References to other projects are left out. At most `limit`
/// references are returned.
std::vector<FixRef> find_refs(std::string_view text, const std::vector<std::string>& allowed,
                              std::size_t limit, const std::string& desk_path);

}  // namespace desk
