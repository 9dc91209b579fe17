// search_index.h: the search index's rows in each dialect (inside the store
// library only): SQLite's FTS5 table search_text, PostgreSQL's search_doc
// with its GIN index. The texts are made by store/search.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/db.h"
#include "store/search.h"

namespace store {

/// Indexes `text` as one of issue `issue_id`'s texts, in the caller's
/// transaction.
void index_text(Db& db, std::int64_t issue_id, std::string_view text);

/// Empties the index and indexes every issue's title and description and
/// every note but the system notes (migration 8, 'db copy').
void rebuild_search_index(soci::session& sql, Dialect d);

/// The condition that issue `i` holds query word `w`, bound as `:<name>`,
/// and the value to bind.
struct SearchCondition {
  std::string sql, value;
};
SearchCondition search_condition(Dialect d, const search::Word& w, const std::string& name);

}  // namespace store
