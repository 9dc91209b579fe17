// search_index.cc: the search index's rows (see search_index.h).
#include "store/search_index.h"

#include <vector>

namespace store {

namespace {

const char* insert_sql(Dialect d) {
  return d == Dialect::sqlite
             ? "INSERT INTO search_text (issue_id, text) VALUES (:i, :t)"
             : "INSERT INTO search_doc (issue_id, words) VALUES (:i, CAST(:t AS tsvector))";
}

std::string indexed(Dialect d, std::string_view text) {
  return d == Dialect::sqlite ? search::sqlite_text(text) : search::pg_vector(text);
}

}  // namespace

void index_text(Db& db, std::int64_t issue_id, std::string_view text) {
  long long id = issue_id;
  std::string t = indexed(db.dialect, text);
  db.run(insert_sql(db.dialect), soci::use(id), soci::use(t));
}

void rebuild_search_index(soci::session& sql, Dialect d) {
  sql << (d == Dialect::sqlite ? "DELETE FROM search_text" : "DELETE FROM search_doc");
  // Read in pieces of ids, then written: a statement must not run while
  // another one's rows are being read on the same connection.
  for (const char* what : {"issue", "note"}) {
    long long after = 0;
    for (;;) {
      std::vector<std::pair<long long, std::string>> docs;
      std::string q = std::string(what) == "issue"
                          ? "SELECT id, id, title || ' ' || description FROM issue WHERE id > :a "
                            "ORDER BY id LIMIT 500"
                          : "SELECT id, issue_id, body FROM note WHERE id > :a AND author_kind "
                            "<> 'system' ORDER BY id LIMIT 500";
      soci::rowset<soci::row> rs = (sql.prepare << q, soci::use(after));
      for (const auto& r : rs) {
        after = row_int(r, 0);
        docs.emplace_back(row_int(r, 1), r.get<std::string>(2));
      }
      if (docs.empty()) break;
      for (auto& [issue, text] : docs) {
        std::string t = indexed(d, text);
        sql << insert_sql(d), soci::use(issue), soci::use(t);
      }
    }
  }
}

SearchCondition search_condition(Dialect d, const search::Word& w, const std::string& name) {
  std::string p = ":" + name;
  if (d == Dialect::postgresql)
    return {"i.id IN (SELECT issue_id FROM search_doc WHERE words @@ CAST(" + p + " AS tsquery))",
            search::pg_query(w)};
  return {"i.id IN (SELECT issue_id FROM search_text WHERE text LIKE " + p + ")",
          search::sqlite_term(w).pattern};
}

}  // namespace store
