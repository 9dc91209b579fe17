// sqlite/blob.h: SQLite's incremental blob I/O, for values too large to bind
// whole (inside the store library only).
#pragma once

#include <string_view>

#include "common/bytes.h"

namespace soci {
class session;
}

namespace store::sqlite {

/// Writes `bytes` into the zeroblob of `table`.`column` in row `rowid`, in
/// pieces; `owner` (the Bytes that `bytes` lie in) releases what is written.
/// Throws soci::soci_error with SQLite's message.
void write_blob(soci::session& sql, const char* table, const char* column, long long rowid,
                std::string_view bytes, const common::Bytes* owner = nullptr);

}  // namespace store::sqlite
