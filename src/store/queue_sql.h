// queue_sql.h: the SQL of the issue queue (a filter, its order and keyset
// page, and its capped count) and the values it binds (inside the store
// library only; issue_views.cc runs it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/db.h"
#include "store/values.h"

namespace store {

// One filter's WHERE clause over the columns named by `Cols`, and the
// values it binds, each under its name with `tag` appended (owned here:
// SOCI binds by reference, never a temporary).
struct Where {
  std::string sql, tag;
  std::string project, state, assignee;
  std::vector<std::string> labels, terms, projects;
  long long label_id = 0, after_key = 0, after_id = 0;
  bool by_label = false, has_after = false, keyed = false;

  void bind(soci::statement& st, const IssueFilter& f);
};

/// A queue query, planned for one filter. With a label in the filter it
/// walks that label's rows of issue_label (migration 15) in the listing's
/// order, one walk per label of that name in the filter's projects, each
/// stopped at the page's (or the count's) end; without, the issue table's
/// sort index.
class QueueQuery {
 public:
  /// Reads what the plan needs (the label's ids, a search word's hits).
  QueueQuery(Db& db, const IssueFilter& f);

  /// SELECT `columns` (of issue i and project p) of one page (f.limit rows
  /// at most), in the filter's order.
  std::string list_sql(const std::string& columns) const;
  /// SELECT count(*) of the matching issues, up to :cap per walk (the
  /// caller caps the sum).
  std::string count_sql() const;
  /// Binds every value of the text above; `cap` for count_sql.
  void bind(soci::statement& st, std::optional<long long> cap);

 private:
  std::string walks(const char* limit) const;

  IssueFilter f_;
  std::vector<Where> wheres_;  // one per label walk, or the one over issue
  bool by_label_ = false;
  long long limit_ = 0, cap_ = 0;
};

}  // namespace store
