// quick_actions.h: quick actions by mail (issue 20, as GitLab's): a proven
// member's reply may start with command lines
//
//   /close   /reopen   /assign me|EMAIL   /unassign
//   /label NAME...   /unlabel NAME...   (a name may be written ~NAME)
//   /internal        (the reply becomes an internal note, mailed to no customer)
//
// The command lines are taken off the note. If any of them is not
// understood (or names a label the project lacks, or an assignee who is no
// member), no action runs and the whole reply is kept as an internal note;
// the member is told what was not understood. Who counts as a proven member
// is desk/identity's and the conversation's to decide (issue 18): a
// customer's "/close" is text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "desk/tracker.h"
#include "store/repository.h"

namespace desk {

/// At most this many command lines are read; more is not understood.
inline constexpr std::size_t kMaxQuickActions = 20;

struct QuickActions {
  bool close = false, reopen = false, unassign = false, internal = false;
  std::optional<std::string> assign;  // "me" or a canonical address
  std::vector<std::string> label, unlabel;
  /// The command lines not understood, each with the reason:
  /// "/frob: unknown command".
  std::vector<std::string> problems;
  /// The reply without its command lines (leading blank lines dropped too).
  std::string body;
  /// Command lines found (understood or not).
  std::size_t lines = 0;

  bool any() const { return lines > 0; }
  bool understood() const { return problems.empty(); }
};

/// Reads the command lines at the start of `text` (a mail's trimmed body).
/// Pure: knows neither the project's labels nor its members.
QuickActions parse_quick_actions(const std::string& text);

/// What `actions` cannot do on `issue`: a label the project lacks, an
/// assignee who is no member; appended to actions.problems. `author` is
/// who "/assign me" means.
void check_quick_actions(store::Tx& tx, const store::IssueRow& issue, const std::string& author,
                         QuickActions& actions);

/// What applying them changed, for the mail's reply and the tests.
struct QuickResult {
  std::optional<std::string> state;  // "closed" / "opened" when it changed
  bool assignee_changed = false;
  LabelChange labels;
};

/// Runs understood and checked `actions` on `issue` as `author`: each change
/// a system note. The state change's mails are the caller's (it knows who
/// hears of what).
QuickResult apply_quick_actions(store::Tx& tx, const store::IssueRow& issue,
                                const std::string& author, const QuickActions& actions,
                                std::int64_t at);

}  // namespace desk
