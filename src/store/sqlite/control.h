// sqlite/control.h: what only an SQLite store has, for the few parts of the
// daemon that run SQLite's single writer (delivery/group_commit.h) and its
// write-ahead log (server/checkpointer.h). Store::sqlite() hands it out, and
// returns null on PostgreSQL: code that works on both never names it.
#pragma once

namespace store::sqlite {

/// Frames in the write-ahead log, and how many of them are in the database.
struct WalFrames {
  long long log = 0, done = 0;
};

class Control {
 public:
  virtual ~Control() = default;

  // --- group commit (the single writer; pool.cc, connection.cc) ------------
  /// Opens one transaction that the following units of work from this
  /// thread join, each of them as a savepoint: one that fails rolls back
  /// only itself. Concurrent deliveries share one durable COMMIT.
  virtual void begin_batch() = 0;
  /// Commits everything since begin_batch(); throws (Unavailable) when none
  /// of it was stored.
  virtual void commit_batch() = 0;
  virtual void rollback_batch() = 0;

  // --- the write-ahead log (pragmas.cc) -------------------------------------
  /// Leaves checkpoints to checkpoint() calls from elsewhere: the COMMIT no
  /// longer copies the log into the database now and then (and fsyncs it) on
  /// the writer's thread.
  virtual void manual_checkpoints() = 0;
  /// Copies what it can of the log into the database without waiting for
  /// anyone (PASSIVE). When every frame is in the database, the next write
  /// transaction starts the log over from its beginning (unless a reader
  /// still reads an older snapshot from the log).
  virtual WalFrames checkpoint() = 0;
};

}  // namespace store::sqlite
