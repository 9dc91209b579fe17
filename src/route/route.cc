// route.cc: recipient address parsing.
#include "route/route.h"

#include <cctype>

namespace route {

bool valid_project_key(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (i == 0 ? !alnum : !(alnum || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

namespace {

bool is_hex32(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Splits local@domain; removes the quotes of a quoted local part whose
// content is plain ("desk+x"@d is desk+x@d, RFC 5321 section 4.1.2).
bool split(std::string_view a, std::string& local, std::string& domain) {
  auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size()) return false;
  std::string_view l = a.substr(0, at), d = a.substr(at + 1);
  if (l.size() > 64 * 4 || d.size() > 255)
    return false;  // UTF-8 local parts may be longer in bytes
  if (l.size() >= 2 && l.front() == '"' && l.back() == '"') {
    std::string u;
    for (std::size_t i = 1; i + 1 < l.size(); ++i) {
      if (l[i] == '\\' && i + 2 < l.size()) ++i;
      u += l[i];
    }
    local = u;
  } else {
    local = std::string(l);
  }
  for (unsigned char c : local)
    if (c < 0x20 || c == 0x7f) return false;
  for (unsigned char c : d)
    if (c <= 0x20 || c == 0x7f || c == '@') return false;
  if (local.empty()) return false;
  domain = lower(d);
  return true;
}

}  // namespace

std::optional<std::string> canonical_address(std::string_view addr) {
  std::string local, domain;
  if (!split(addr, local, domain)) return std::nullopt;
  return lower(local) + "@" + domain;
}

std::optional<Route> parse(std::string_view rcpt, const Base& base) {
  std::string local, domain;
  if (!split(rcpt, local, domain)) return std::nullopt;
  Route r;
  r.address = lower(local) + "@" + domain;
  r.kind = Route::Kind::alias;
  if (domain != lower(base.domain)) return r;
  std::string ll = lower(local);
  std::string prefix = lower(base.local) + base.delimiter;
  if (ll.size() <= prefix.size() || ll.compare(0, prefix.size(), prefix) != 0) return r;
  std::string tag = ll.substr(prefix.size());
  static constexpr std::string_view reply = "reply-", unsub = "-unsubscribe";
  if (tag.compare(0, reply.size(), reply) == 0) {
    std::string_view k = std::string_view(tag).substr(reply.size());
    if (k.size() == 32 + unsub.size() && k.substr(32) == unsub && is_hex32(k.substr(0, 32))) {
      r.kind = Route::Kind::unsubscribe;
      r.key = std::string(k.substr(0, 32));
      return r;
    }
    if (is_hex32(k)) {
      r.kind = Route::Kind::reply;
      r.key = std::string(k);
      return r;
    }
  }
  if (valid_project_key(tag)) {
    r.kind = Route::Kind::new_issue;
    r.key = tag;
  }
  return r;
}

}  // namespace route
