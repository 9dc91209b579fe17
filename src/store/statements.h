// statements.h: statements prepared once per connection and kept (issue 7).
// A SOCI one-time query ("sql << ...") is parsed by the database each time:
// SQLite parsed about a dozen statements per delivery, 14 % of the daemon's
// CPU in perf. A cached statement is prepared on first use (a named prepared
// statement on PostgreSQL) and bound afresh on every run.
//
// SQLite: a statement that returned a row and was not stepped to its end
// holds a read transaction open (a stale snapshot for everything after it on
// this connection, and a WAL that cannot be checkpointed). Every run resets
// its statement when it is done, whatever happened.
#pragma once

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/dialect.h"

namespace store {

class Statements {
 public:
  Statements(soci::session& sql, Dialect d) : sql_(sql), dialect_(d) {}
  Statements(const Statements&) = delete;
  Statements& operator=(const Statements&) = delete;
  ~Statements() { clear(); }

  /// Runs `query` with its use() and into() elements, like
  /// `sql << query, elements...`; true when a row came back (also left in
  /// session::got_data()). Bind only named variables, as with SOCI itself.
  template <class... E>
  bool run(const std::string& query, E&&... elements) {
    soci::statement& st = get(query);
    (st.exchange(std::forward<E>(elements)), ...);
    Unbind unbind{*this, st};
    st.define_and_bind();
    bool got = st.execute(true);
    sql_.set_got_data(got);
    return got;
  }

  /// Runs `query` and calls `on_row()` for each row that comes back, after
  /// the into() elements received it. `on_row` must not run statements of
  /// its own on this connection (collect first, then query).
  template <class F, class... E>
  void each(const std::string& query, F&& on_row, E&&... elements) {
    each_bound(
        query, [&](soci::statement& st) { (st.exchange(std::forward<E>(elements)), ...); },
        std::forward<F>(on_row));
  }

  /// each() for a query whose elements depend on it (optional filters):
  /// `bind(statement&)` exchanges them.
  template <class B, class F>
  void each_bound(const std::string& query, B&& bind, F&& on_row) {
    soci::statement& st = get(query);
    bind(st);
    Unbind unbind{*this, st};
    st.define_and_bind();
    for (bool got = st.execute(true); got; got = st.fetch()) on_row();
  }

  /// Forgets every statement: before the session closes or reconnects (the
  /// statements belong to the old connection).
  void clear() { cache_.clear(); }

  std::size_t size() const { return cache_.size(); }

 private:
  struct Unbind {
    Statements& self;
    soci::statement& st;
    ~Unbind() {
      st.bind_clean_up();
      if (self.dialect_ == Dialect::sqlite) {
        auto* be = static_cast<soci::sqlite3_statement_backend*>(st.get_backend());
        if (be && be->stmt_) sqlite_api::sqlite3_reset(be->stmt_);
      }
    }
  };

  soci::statement& get(const std::string& query) {
    auto it = cache_.find(query);
    if (it != cache_.end()) return *it->second;
    auto st = std::make_unique<soci::statement>(sql_);
    st->alloc();
    st->prepare(query, soci::details::st_repeatable_query);
    return *cache_.emplace(query, std::move(st)).first->second;
  }

  soci::session& sql_;
  Dialect dialect_;
  std::unordered_map<std::string, std::unique_ptr<soci::statement>> cache_;
};

}  // namespace store
