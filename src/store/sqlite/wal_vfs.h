// wal_vfs.h: SQLite's write-ahead log written in runs, not frame by frame
// (issue 7).
//
// SQLite writes each WAL frame as two pwrite(2) calls (a 24-byte frame header,
// then the page) and syncs once at COMMIT. A 4 KiB new issue is about eleven
// pages: 24 system calls on the writer thread, a fifth of its CPU in perf.
// This VFS wraps the default one and, for WAL files only, gathers writes that
// follow each other in the file into one buffer, written with one pwrite
// before anything can depend on them: before a sync, a read, a truncate, a
// size query, a file control or the close, and whenever a write does not
// continue the run. What reaches the disk, in which order, and when the
// COMMIT's fsync returns is unchanged.
//
// Safe only because deskmail runs SQLite with synchronous=FULL (it refuses
// anything lower): the commit syncs the WAL, so the frames are in the file
// before the wal-index says they are committed and another connection reads
// them. With synchronous=NORMAL they would not be.
#pragma once

namespace store {

/// Registers the coalescing VFS as SQLite's default (once per process; later
/// calls do nothing). Connections opened before the call keep their VFS.
void install_wal_write_coalescing();

}  // namespace store
