// route.h: what a recipient address means (DESIGN.md section 4).
//
//   desk+<project-key>@domain               new issue in that project
//   desk+reply-<32 hex>@domain              reply on an issue, by a participant
//   desk+reply-<32 hex>-unsubscribe@domain  that participant stops the mail
//   anything else                           looked up as a project alias
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/ascii.h"

namespace route {

struct Route {
  enum class Kind { new_issue, reply, unsubscribe, alias } kind = Kind::alias;
  std::string key;      // project key or reply key, lower-cased
  std::string address;  // the canonical address: local part as sent, domain lower-cased
};

/// The configured base address, split once.
struct Base {
  std::string local;   // "desk"
  std::string domain;  // "support.example.com"
  char delimiter = '+';
};

/// Parses a recipient path (without the angle brackets). Returns nullopt when
/// it is not an address at all (no '@', empty parts, control characters).
std::optional<Route> parse(std::string_view rcpt, const Base& base);

/// Lower-cases ASCII letters (keys and domains are compared case-insensitively).
using common::lower;

/// True for a valid project key: [a-z0-9] then [a-z0-9._-], at most 64.
bool valid_project_key(std::string_view key);

/// The canonical form of an alias address, for storing and looking up.
std::optional<std::string> canonical_address(std::string_view addr);

}  // namespace route
