// dialect.cc: the differences between SQLite and PostgreSQL, in one place.
#include "store/dialect.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include "common/ascii.h"
#include "store/store.h"

namespace store {

Dialect dialect_of(const std::string& connection) {
  if (connection.rfind("sqlite3://", 0) == 0) return Dialect::sqlite;
  if (connection.rfind("postgresql://", 0) == 0) return Dialect::postgresql;
  throw Error("unsupported database '" + connection.substr(0, connection.find("://")) +
              "': use sqlite3://db=PATH or postgresql://host=... dbname=...");
}

std::string connection_string(const std::string& connection, std::chrono::milliseconds wait) {
  if (dialect_of(connection) != Dialect::postgresql) return connection;
  if (connection.find("connect_timeout") != std::string::npos) return connection;
  // libpq counts whole seconds and treats 1 as 2.
  auto secs = std::max<long long>(2, (wait.count() + 999) / 1000);
  return connection + " connect_timeout=" + std::to_string(secs);
}

Fault classify(const soci::soci_error& e, soci::session& sql) {
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
    std::string state = pg->sqlstate();
    // 40001 serialization failure, 40P01 deadlock, 23505 a unique race lost.
    if (state == "40001" || state == "40P01" || state == "23505") return Fault::conflict;
    // Class 08: connection exceptions; 57P01-03 the server is shutting down or
    // starting; 57P04 the database was dropped.
    if (state.compare(0, 2, "08") == 0 || state.compare(0, 4, "57P0") == 0)
      return Fault::connection;
    // 55P03 lock_not_available, 57014 query_canceled (statement_timeout),
    // class 53: insufficient resources (disk full, out of memory or connections).
    if (state == "55P03" || state == "57014" || state.compare(0, 2, "53") == 0) return Fault::busy;
  }
  if (e.get_error_category() == soci::soci_error::connection_error) return Fault::connection;
  if (sql.get_backend() && sql.get_backend_name() == "postgresql" && !sql.is_connected())
    return Fault::connection;
  std::string what = e.what();
  for (const char* m : {"database is locked", "database table is locked", "disk I/O error",
                        "database or disk is full", "unable to open database"})
    if (what.find(m) != std::string::npos) return Fault::busy;
  return Fault::other;
}

std::int64_t row_int(const soci::row& r, std::size_t i) {
  switch (r.get_properties(i).get_data_type()) {
    case soci::dt_integer:
      return r.get<int>(i);
    case soci::dt_long_long:
      return r.get<long long>(i);
    case soci::dt_unsigned_long_long:
      return static_cast<std::int64_t>(r.get<unsigned long long>(i));
    case soci::dt_double:
      return static_cast<std::int64_t>(r.get<double>(i));
    default:
      return std::stoll(r.get<std::string>(i));
  }
}

std::string blob_param(Dialect d, const char* name) {
  return d == Dialect::sqlite ? std::string(":") + name
                              : std::string("decode(:") + name + ", 'hex')";
}

std::string blob_column(Dialect d, const char* col) {
  return d == Dialect::sqlite ? std::string(col) : std::string("encode(") + col + ", 'hex')";
}

std::string blob_value(Dialect d, const std::string& bytes) {
  return d == Dialect::sqlite ? bytes : to_hex(bytes);
}

std::string blob_bytes(Dialect d, std::string&& value) {
  return d == Dialect::sqlite ? std::move(value) : from_hex(value);
}

std::string to_hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = digits[c >> 4];
    out[2 * i + 1] = digits[c & 15];
  }
  return out;
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629 table).
std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c >= 0x01 && c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}
}  // namespace

std::string from_hex(std::string_view hex) {
  if (hex.size() % 2) throw Error("odd-length hex value from the database");
  std::string out;
  out.resize(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int h = hex_digit(hex[2 * i]), l = hex_digit(hex[2 * i + 1]);
    if (h < 0 || l < 0) throw Error("bad hex value from the database");
    out[i] = static_cast<char>(h * 16 + l);
  }
  return out;
}

bool is_clean_text(std::string_view s) {
  for (std::size_t i = common::ascii_run(s); i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c != 0 && c < 0x80) {  // ASCII again after a character that was not
      ++i;
      continue;
    }
    std::size_t n = utf8_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string clean_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_len(s, i);
    if (n == 0) {
      if (s[i] != '\0') out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace store
