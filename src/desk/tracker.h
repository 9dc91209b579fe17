// tracker.h: working the queue (issue 20): labels per project, the labels
// and the assignee of an issue, and the system notes that record each change
// (assign, label, state) with who made it and when. System notes are
// internal: never mailed, never searched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/repository.h"

namespace desk {

/// A label name: 1 to 64 bytes of UTF-8 without white space, control
/// characters or commas, not starting with '+', '-', '~' or '/' (those say
/// "add", "remove", "a label" and "a quick action").
bool valid_label(const std::string& name);
/// How label names are compared: ASCII letters in lower case.
std::string label_key(const std::string& name);
/// "" or "#rgb" / "#rrggbb" in hex digits.
bool valid_colour(const std::string& colour);

/// Records a change on the issue as a system note by `actor` at `at`.
void system_note(store::Tx& tx, std::int64_t issue_id, const std::string& actor,
                 const std::string& text, std::int64_t at);

/// The project's label named `name` (compared by label_key); throws Invalid
/// naming the project when there is none.
store::Label find_label(store::Tx& tx, std::int64_t project_id, const std::string& path,
                        const std::string& name);

/// Assigns the issue to project member `email`, or to nobody (""); throws
/// Invalid for an address that is no member. False (nothing written) when
/// it was so already.
bool assign(store::Tx& tx, const store::IssueRow& issue, const std::string& email,
            const std::string& actor, std::int64_t at);

/// What relabel did: the names added and removed (those already so are left out).
struct LabelChange {
  std::vector<std::string> added, removed;
  bool changed() const { return !added.empty() || !removed.empty(); }
};
/// Puts the labels `add` on the issue and takes `remove` off it; every name
/// must be one of the project's labels (else Invalid, nothing done). One
/// system note records the whole change.
LabelChange relabel(store::Tx& tx, const store::IssueRow& issue,
                    const std::vector<std::string>& add, const std::vector<std::string>& remove,
                    const std::string& actor, std::int64_t at);

/// The filter as the store takes it: the assignee's address canonical, label
/// names as keys; throws Invalid for a malformed one or a search of more
/// than store::search::kMaxQueryWords words.
store::IssueFilter checked_filter(const store::IssueFilter& filter);

}  // namespace desk
