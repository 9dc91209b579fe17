// wal_vfs.cc: the coalescing VFS of wal_vfs.h, a shim over SQLite's default.
#include "store/sqlite/wal_vfs.h"

#include <sqlite3.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace store {

namespace {

// One run of buffered bytes, written with one xWrite of the unix VFS. That
// one never writes more than 128 KiB - 1 in a call (seekAndWrite masks the
// length with 0x1ffff: a larger run came back as a short write, SQLITE_FULL),
// so a run stays below it; a batch of small deliveries is a few runs.
constexpr sqlite3_int64 kCapacity = 96 * 1024;

sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;

struct WalFile {
  sqlite3_file base;   // pMethods: kMethods
  sqlite3_file* real;  // the default VFS's file, in the memory after this struct
  char* buf;
  sqlite3_int64 start;  // file offset of buf[0]
  sqlite3_int64 len;
};

constexpr int kRealOffset = (sizeof(WalFile) + 7) & ~7;

WalFile* wal(sqlite3_file* f) {
  return reinterpret_cast<WalFile*>(f);
}

int flush(WalFile* w) {
  if (w->len == 0) return SQLITE_OK;
  sqlite3_int64 n = w->len;
  w->len = 0;  // on failure SQLite fails the transaction; these frames are void
  return w->real->pMethods->xWrite(w->real, w->buf, static_cast<int>(n), w->start);
}

int x_close(sqlite3_file* f) {
  WalFile* w = wal(f);
  int rc = flush(w);
  std::free(w->buf);
  w->buf = nullptr;
  int rc2 = w->real->pMethods ? w->real->pMethods->xClose(w->real) : SQLITE_OK;
  return rc != SQLITE_OK ? rc : rc2;
}

int x_read(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xRead(w->real, out, amt, off);
}

int x_write(sqlite3_file* f, const void* data, int amt, sqlite3_int64 off) {
  WalFile* w = wal(f);
  bool continues = w->len > 0 && off == w->start + w->len;
  if (continues && w->len + amt <= kCapacity) {
    std::memcpy(w->buf + w->len, data, static_cast<std::size_t>(amt));
    w->len += amt;
    return SQLITE_OK;
  }
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  if (amt > kCapacity / 2) return w->real->pMethods->xWrite(w->real, data, amt, off);
  if (!w->buf) {
    w->buf = static_cast<char*>(std::malloc(kCapacity));
    if (!w->buf) return w->real->pMethods->xWrite(w->real, data, amt, off);
  }
  std::memcpy(w->buf, data, static_cast<std::size_t>(amt));
  w->start = off;
  w->len = amt;
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xTruncate(w->real, size);
}

int x_sync(sqlite3_file* f, int flags) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xSync(w->real, flags);
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileSize(w->real, size);
}

int x_lock(sqlite3_file* f, int level) {
  WalFile* w = wal(f);
  return w->real->pMethods->xLock(w->real, level);
}

int x_unlock(sqlite3_file* f, int level) {
  WalFile* w = wal(f);
  return w->real->pMethods->xUnlock(w->real, level);
}

int x_check_reserved(sqlite3_file* f, int* out) {
  WalFile* w = wal(f);
  return w->real->pMethods->xCheckReservedLock(w->real, out);
}

int x_file_control(sqlite3_file* f, int op, void* arg) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileControl(w->real, op, arg);
}

int x_sector_size(sqlite3_file* f) {
  WalFile* w = wal(f);
  return w->real->pMethods->xSectorSize(w->real);
}

int x_device(sqlite3_file* f) {
  WalFile* w = wal(f);
  return w->real->pMethods->xDeviceCharacteristics(w->real);
}

int x_shm_map(sqlite3_file* f, int pg, int pgsz, int extend, void volatile** out) {
  WalFile* w = wal(f);
  return w->real->pMethods->xShmMap(w->real, pg, pgsz, extend, out);
}

int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  WalFile* w = wal(f);
  return w->real->pMethods->xShmLock(w->real, offset, n, flags);
}

void x_shm_barrier(sqlite3_file* f) {
  WalFile* w = wal(f);
  w->real->pMethods->xShmBarrier(w->real);
}

int x_shm_unmap(sqlite3_file* f, int del) {
  WalFile* w = wal(f);
  return w->real->pMethods->xShmUnmap(w->real, del);
}

int x_fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** out) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFetch(w->real, off, amt, out);
}

int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  WalFile* w = wal(f);
  return w->real->pMethods->xUnfetch(w->real, off, p);
}

// Version 3 (shared memory, memory mapping) like the unix VFS's own; the
// version-2/3 entries are only called when the real file has them.
const sqlite3_io_methods kMethods = {
    3,           x_close,   x_read,     x_write,          x_truncate,     x_sync,
    x_file_size, x_lock,    x_unlock,   x_check_reserved, x_file_control, x_sector_size,
    x_device,    x_shm_map, x_shm_lock, x_shm_barrier,    x_shm_unmap,    x_fetch,
    x_unfetch,
};

int v_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  if (!(flags & SQLITE_OPEN_WAL)) return g_base->xOpen(g_base, name, f, flags, out_flags);
  WalFile* w = wal(f);
  std::memset(w, 0, sizeof *w);
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  int rc = g_base->xOpen(g_base, name, w->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (w->real->pMethods) w->real->pMethods->xClose(w->real);
    w->base.pMethods = nullptr;  // SQLite calls no xClose for us then
    return rc;
  }
  w->base.pMethods = &kMethods;
  return SQLITE_OK;
}

// Everything but xOpen is the default VFS's, called with the default VFS.
int v_delete(sqlite3_vfs*, const char* name, int sync) {
  return g_base->xDelete(g_base, name, sync);
}
int v_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int v_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* v_dl_open(sqlite3_vfs*, const char* name) {
  return g_base->xDlOpen(g_base, name);
}
void v_dl_error(sqlite3_vfs*, int n, char* out) {
  g_base->xDlError(g_base, n, out);
}
void (*v_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_base->xDlSym(g_base, h, sym);
}
void v_dl_close(sqlite3_vfs*, void* h) {
  g_base->xDlClose(g_base, h);
}
int v_randomness(sqlite3_vfs*, int n, char* out) {
  return g_base->xRandomness(g_base, n, out);
}
int v_sleep(sqlite3_vfs*, int us) {
  return g_base->xSleep(g_base, us);
}
int v_current_time(sqlite3_vfs*, double* out) {
  return g_base->xCurrentTime(g_base, out);
}
int v_last_error(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError(g_base, n, out);
}
int v_current_time64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}
int v_set_syscall(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
  return g_base->xSetSystemCall(g_base, name, p);
}
sqlite3_syscall_ptr v_get_syscall(sqlite3_vfs*, const char* name) {
  return g_base->xGetSystemCall(g_base, name);
}
const char* v_next_syscall(sqlite3_vfs*, const char* name) {
  return g_base->xNextSystemCall(g_base, name);
}

}  // namespace

void install_wal_write_coalescing() {
  static std::once_flag once;
  std::call_once(once, [] {
    // No memory statistics (nothing here reads them): with them, every
    // sqlite3_malloc and sqlite3_free of every connection takes one global
    // mutex, and deskmail-web's four readers spent a tenth of their CPU in
    // pthread_mutex_lock/unlock (perf, queue page under wrk). SQLite takes
    // this only before it is initialized, which is here, at the first open.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    // Multi-thread mode: no mutex of its own per connection. Each
    // connection is used by one thread at a time (the pool hands it out;
    // the checkpointer and a backup open their own), which is all this mode
    // asks; the mutexes SQLite shares between connections (the VFS's inode
    // locks, the page cache's) stay. Serialized mode took a connection's
    // mutex at every call, each sqlite3_column_* of each row: 5 % of
    // deskmail-web's CPU on a queue page in pthread_mutex_lock/unlock.
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_initialize();
    g_base = sqlite3_vfs_find(nullptr);
    if (!g_base || g_base->iVersion < 3) return;  // not the unix VFS we know: leave it
    g_vfs = sqlite3_vfs{};
    g_vfs.iVersion = 3;
    g_vfs.szOsFile = kRealOffset + g_base->szOsFile;
    g_vfs.mxPathname = g_base->mxPathname;
    g_vfs.zName = "deskmail-wal";
    g_vfs.xOpen = v_open;
    g_vfs.xDelete = v_delete;
    g_vfs.xAccess = v_access;
    g_vfs.xFullPathname = v_full_pathname;
    g_vfs.xDlOpen = v_dl_open;
    g_vfs.xDlError = v_dl_error;
    g_vfs.xDlSym = v_dl_sym;
    g_vfs.xDlClose = v_dl_close;
    g_vfs.xRandomness = v_randomness;
    g_vfs.xSleep = v_sleep;
    g_vfs.xCurrentTime = v_current_time;
    g_vfs.xGetLastError = v_last_error;
    g_vfs.xCurrentTimeInt64 = v_current_time64;
    g_vfs.xSetSystemCall = v_set_syscall;
    g_vfs.xGetSystemCall = v_get_syscall;
    g_vfs.xNextSystemCall = v_next_syscall;
    sqlite3_vfs_register(&g_vfs, 1);
  });
}

}  // namespace store
