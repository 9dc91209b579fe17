// connection.h: one database connection as a Store (inside the store library
// only). The pool (pool.cc) hands out connections and runs each unit of work
// through guarded(); 'db copy' (copy.cc) uses the session.
#pragma once

#include <functional>

#include "store/dialect.h"
#include "store/sqlite/control.h"
#include "store/store.h"

namespace soci {
class session;
}

namespace store {

// The sqlite::Control half (group commit, checkpoints) is the pool's to use
// on SQLite only: the pool hands it out through sqlite(), null on PostgreSQL.
class Connection : public Store, public sqlite::Control {
 public:
  /// Runs `f` with database faults turned into the store's exceptions:
  /// conflicts (deadlock, serialization failure) retried, a lost connection
  /// reopened on the next call and retried at once only when nothing reached
  /// the server or `read_only`; lock waits, timeouts and the rest of the
  /// connection faults thrown as Unavailable.
  virtual void guarded(bool read_only, const std::function<void()>& f) = 0;
  virtual Dialect dialect() const = 0;
  virtual soci::session& session() = 0;
};

std::unique_ptr<Connection> connect(const std::string& connection, std::chrono::milliseconds wait);

}  // namespace store
