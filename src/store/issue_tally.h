// issue_tally.h: the queue's count read from issue_tally (schema 16), the
// issues of each project counted by state and spam flag by triggers (inside
// the store library only).
#pragma once

#include <cstdint>
#include <optional>

#include "store/db.h"
#include "store/values.h"

namespace store {

/// How many issues `f` selects, summed from the tally, when `f` filters by
/// project, state and spam flag alone (no assignee, label or words); else
/// nullopt, and the caller counts the issues themselves.
std::optional<std::int64_t> tallied_count(Db& db, const IssueFilter& f);

}  // namespace store
