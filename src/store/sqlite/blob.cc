// sqlite/blob.cc: a large value written into its zeroblob in pieces.
#include "store/sqlite/blob.h"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <string>

namespace store::sqlite {

void write_blob(soci::session& sql, const char* table, const char* column, long long rowid,
                std::string_view bytes, const common::Bytes* owner) {
  auto* be = static_cast<soci::sqlite3_session_backend*>(sql.get_backend());
  sqlite_api::sqlite3_blob* blob = nullptr;
  auto fail = [&](int rc) {
    std::string msg = std::string("writing ") + table + "." + column + ": " +
                      sqlite_api::sqlite3_errmsg(be->conn_);
    if (blob) sqlite_api::sqlite3_blob_close(blob);
    throw soci::soci_error(msg + " (SQLite error " + std::to_string(rc) + ")");
  };
  int rc = sqlite_api::sqlite3_blob_open(be->conn_, "main", table, column, rowid, 1, &blob);
  if (rc != SQLITE_OK) fail(rc);
  constexpr std::size_t kPiece = 1 << 20;
  const char* mark = bytes.data();
  for (std::size_t off = 0; off < bytes.size(); off += kPiece) {
    int n = static_cast<int>(std::min(kPiece, bytes.size() - off));
    rc = sqlite_api::sqlite3_blob_write(blob, bytes.data() + off, n, static_cast<int>(off));
    if (rc != SQLITE_OK) fail(rc);
    if (owner) owner->passed(bytes.data() + off + n, mark);
  }
  rc = sqlite_api::sqlite3_blob_close(blob);
  blob = nullptr;
  if (rc != SQLITE_OK) fail(rc);
}

}  // namespace store::sqlite
