// command.h: parsing one LMTP command line (RFC 2033, RFC 5321 section 4.1).
// Pure functions over strings, table-tested in tests/unit/lmtp/test_command.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmtp {

enum class Verb {
  lhlo,
  helo,
  ehlo,
  mail,
  rcpt,
  data,
  rset,
  noop,
  quit,
  vrfy,
  unimplemented,
  unknown
};

struct Command {
  Verb verb = Verb::unknown;
  std::string name;  // upper-cased verb as sent
  std::string args;  // the rest of the line after one space, CRLF removed
};

/// Splits "VERB args". The line must not contain the CRLF.
Command parse_command(std::string_view line);

/// An ESMTP parameter, e.g. SIZE=1000 -> {"SIZE", "1000"}; keyword upper-cased.
struct Param {
  std::string keyword;
  std::string value;
  bool has_value = false;
};

/// The result of parsing "FROM:<path> params" or "TO:<path> params".
struct PathArgs {
  std::string path;  // the address inside <>, source route removed; "" for <>
  std::vector<Param> params;
};

/// Parses the argument of MAIL (prefix "FROM:") or RCPT (prefix "TO:").
/// Returns nullopt on a syntax error.
std::optional<PathArgs> parse_path_args(std::string_view args, std::string_view prefix);

}  // namespace lmtp
