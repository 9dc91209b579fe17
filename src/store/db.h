// db.h: one database connection as the SQL repositories use it (inside the
// store library only): the SOCI session, its kept statements (the one way
// the repositories run SQL, statements.h), the dialect, and the transaction
// guard.
//
// Only named variables are bound: binding a temporary is a use-after-free in
// SOCI 4.0.
#pragma once

#include <soci/soci.h>

#include <ctime>
#include <stdexcept>
#include <string>

#include "store/dialect.h"
#include "store/statements.h"

namespace store {

struct Db {
  explicit Db(Dialect d) : dialect(d) {}
  Dialect dialect;
  soci::session sql;
  Statements st{sql, dialect};  // after sql: destroyed before it

  /// Statements::run(): true when a row came back.
  template <class... E>
  bool run(const std::string& query, E&&... elements) {
    return st.run(query, std::forward<E>(elements)...);
  }
  template <class F, class... E>
  void each(const std::string& query, F&& on_row, E&&... elements) {
    st.each(query, std::forward<F>(on_row), std::forward<E>(elements)...);
  }
  bool got_data() const { return sql.got_data(); }
};

inline long long now() {
  return static_cast<long long>(std::time(nullptr));
}

// A failure before the first statement of a transaction reached the server:
// safe to reconnect and start again.
class NothingSent : public std::runtime_error {
 public:
  NothingSent(const std::string& what, Fault f) : std::runtime_error(what), fault(f) {}
  Fault fault;
};

// SQLite: BEGIN IMMEDIATE takes the write lock up front, so a transaction
// never fails half-way on a lock upgrade. PostgreSQL: READ COMMITTED; the
// rows that must be serialised are locked by the statements themselves. The
// destructor rolls back unless committed.
class Transaction {
 public:
  // `nested`: inside a group commit (begin_batch), a savepoint.
  Transaction(Db& db, bool nested) : db_(db), nested_(nested) {
    try {
      db_.run(nested                          ? "SAVEPOINT tx"
              : db.dialect == Dialect::sqlite ? "BEGIN IMMEDIATE"
                                              : "BEGIN");
    } catch (const soci::soci_error& e) {
      if (nested) throw;
      throw NothingSent(e.what(), classify(e, db_.sql));
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (!done_) {
      try {
        db_.run(nested_ ? "ROLLBACK TO tx" : "ROLLBACK");
        if (nested_) db_.run("RELEASE tx");
      } catch (...) {
      }
    }
  }
  void commit() {
    db_.run(nested_ ? "RELEASE tx" : "COMMIT");
    done_ = true;
  }
  bool nested() const { return nested_; }

 private:
  Db& db_;
  bool nested_;
  bool done_ = false;
};

}  // namespace store
