// dialect.h: what differs between the SQL of SQLite and of PostgreSQL, and how
// a database error is classified. Used by the store and by 'db copy'.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/values.h"

namespace soci {
class row;
class session;
class soci_error;
}  // namespace soci

namespace store {

enum class Dialect { sqlite, postgresql };

/// The dialect named by a SOCI connection string ("sqlite3://..." or
/// "postgresql://..."); throws Error for any other backend.
Dialect dialect_of(const std::string& connection);

/// The connection string with the bounded waits added that the user did not
/// set (libpq's connect_timeout).
std::string connection_string(const std::string& connection, std::chrono::milliseconds wait);

/// How a failed statement is answered.
enum class Fault {
  conflict,    // deadlock, serialization failure, unique race: run the transaction again
  connection,  // the connection is gone: reopen it
  busy,        // lock wait or statement timeout, disk full, server shutting down: try later
  other,       // a bug or a broken schema: not retried
};
Fault classify(const soci::soci_error& e, soci::session& sql);

/// Binary columns: SQLite takes the bytes as they are; PostgreSQL's bytea
/// goes through hex (SOCI 4.0 binds strings as text).
std::string blob_param(Dialect d, const char* name);  // ":c" or "decode(:c, 'hex')"
std::string blob_column(Dialect d, const char* col);  // "c" or "encode(c, 'hex')"
std::string blob_value(Dialect d, const std::string& bytes);
std::string blob_bytes(Dialect d, std::string&& value);
std::string to_hex(std::string_view bytes);
std::string from_hex(std::string_view hex);

/// An integer column of a dynamic row, whatever type the backend reports
/// (SQLite: int or long long by declaration; PostgreSQL: bigint; count(*)).
std::int64_t row_int(const soci::row& r, std::size_t i);

// is_clean_text() and clean_text(): store/values.h.

}  // namespace store
