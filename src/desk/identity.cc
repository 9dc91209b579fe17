// identity.cc: Authentication-Results read and trusted (see identity.h).
#include "desk/identity.h"

#include <libpsl.h>

#include <optional>

#include "common/ascii.h"

namespace desk {

using common::lower;

namespace {

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The value with comments (RFC 5322 CFWS, nested, with quoted-pairs) made
// white space; quoted strings are kept as they are.
std::string without_comments(std::string_view v) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\\' && i + 1 < v.size() && (quoted || depth > 0)) {
      if (depth == 0) out.append(v.substr(i, 2));
      ++i;
    } else if (quoted) {
      out += c;
      if (c == '"') quoted = false;
    } else if (c == '(') {
      ++depth;
      out += ' ';
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      if (c == '"') quoted = true;
      out += c;
    }
  }
  return out;
}

// Splits at `sep` outside quoted strings.
std::vector<std::string> split(std::string_view v, char sep) {
  std::vector<std::string> parts(1);
  bool quoted = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quoted && c == '\\' && i + 1 < v.size()) {
      parts.back() += v.substr(i, 2);
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == sep && !quoted)
      parts.emplace_back();
    else
      parts.back() += c;
  }
  return parts;
}

std::string unquote(std::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  std::string r;
  for (std::size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    r += v[i];
  }
  return r;
}

// "method = result  ptype.prop = value" as key=value tokens.
std::vector<std::pair<std::string, std::string>> pairs(std::string_view seg) {
  std::string joined;  // white space around '=' removed
  for (std::size_t i = 0; i < seg.size(); ++i) {
    if (space(seg[i])) {
      std::size_t j = i;
      while (j < seg.size() && space(seg[j])) ++j;
      bool eq_next = j < seg.size() && seg[j] == '=';
      bool eq_prev = !joined.empty() && joined.back() == '=';
      if (!eq_next && !eq_prev && !joined.empty()) joined += ' ';
      i = j - 1;
    } else {
      joined += seg[i];
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& tok : split(joined, ' ')) {
    auto eq = tok.find('=');
    if (tok.empty()) continue;
    if (eq == std::string::npos)
      out.emplace_back(lower(tok), "");
    else
      out.emplace_back(lower(tok.substr(0, eq)), unquote(tok.substr(eq + 1)));
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string domain_of(std::string_view email) {
  auto at = email.rfind('@');
  return at == std::string_view::npos ? std::string() : lower(email.substr(at + 1));
}

// The domain of a property value: "example.com", "@example.com" (header.i),
// "user@example.com".
std::string prop_domain(const std::string& v) {
  auto at = v.rfind('@');
  return lower(at == std::string::npos ? v : v.substr(at + 1));
}

}  // namespace

AuthResults parse_auth_results(std::string_view value) {
  AuthResults r;
  std::string clean = without_comments(value);
  auto segs = split(clean, ';');
  std::string_view head = trim(segs[0]);
  auto end = head.find_first_of(" \t");
  r.authserv_id = lower(unquote(head.substr(0, end)));
  for (std::size_t i = 1; i < segs.size(); ++i) {
    auto toks = pairs(trim(segs[i]));
    if (toks.empty() || toks[0].second.empty()) continue;  // "none", or not method=result
    AuthResult res;
    res.method = toks[0].first.substr(0, toks[0].first.find('/'));
    res.result = lower(toks[0].second);
    for (std::size_t k = 1; k < toks.size(); ++k) res.props.emplace(toks[k].first, toks[k].second);
    r.results.push_back(std::move(res));
  }
  return r;
}

bool aligned(std::string_view a, std::string_view b) {
  std::string x = lower(a), y = lower(b);
  if (x.empty() || y.empty()) return false;
  const psl_ctx_t* psl = psl_builtin();
  const char* ox = psl_registrable_domain(psl, x.c_str());
  const char* oy = psl_registrable_domain(psl, y.c_str());
  return ox && oy && std::string_view(ox) == std::string_view(oy);
}

namespace {

// The end of the block the site's MTAs wrote: the index of the hops-th
// Received field, or nullopt when the mail did not pass that many.
std::optional<std::size_t> site_block_end(const Headers& headers, int hops) {
  int received = 0;
  for (std::size_t i = 0; i < headers.size(); ++i)
    if (lower(headers[i].first) == "received" && ++received == hops) return i;
  return std::nullopt;
}

// Whether `field` is an Authentication-Results field with authserv-id `id`;
// its parse goes to `out` when asked for.
bool ours(const std::pair<std::string, std::string>& field, const std::string& id,
          AuthResults* out) {
  if (lower(field.first) != "authentication-results") return false;
  AuthResults ar = parse_auth_results(field.second);
  if (ar.authserv_id.empty() || ar.authserv_id != id) return false;
  if (out) *out = std::move(ar);
  return true;
}

// What in one of our fields vouches for `from`, or "" when nothing does.
std::string vouches(const AuthResults& ar, const std::string& from, Require require) {
  for (const auto& res : ar.results) {
    if (res.result != "pass") continue;
    if (res.method == "dmarc") {
      auto hf = res.props.find("header.from");
      if (hf != res.props.end() && prop_domain(hf->second) == from) return "dmarc=pass for " + from;
    }
    if (res.method == "dkim" && require == Require::dkim_aligned) {
      auto d = res.props.find("header.d");
      if (d == res.props.end()) d = res.props.find("header.i");
      if (d != res.props.end() && aligned(prop_domain(d->second), from))
        return "dkim=pass aligned with " + from;
    }
  }
  return "";
}

}  // namespace

Proof verify_author(const Headers& headers, std::string_view from_email, const AuthPolicy& policy) {
  if (policy.require == Require::none) return {true, "authentication.require is none"};
  std::string from = domain_of(from_email);
  if (from.empty()) return {false, "no From domain"};
  auto block = site_block_end(headers, policy.hops);
  if (!block) return {false, "not received through the site's MTA"};
  std::string id = lower(policy.authserv_id);
  bool any = false;
  for (std::size_t i = 0; i < *block; ++i) {
    AuthResults ar;
    if (!ours(headers[i], id, &ar)) continue;
    any = true;
    if (auto why = vouches(ar, from, policy.require); !why.empty()) return {true, why};
  }
  if (any) return {false, "no passing result for " + from + " from " + id};
  // Never trusted below (a sender writes there, and OpenDMARC and Exim keep
  // what a sender wrote), but named: a verifier that appends its field
  // (Exim's add_header without :at_start:) shows up here.
  for (std::size_t i = *block; i < headers.size(); ++i)
    if (ours(headers[i], id, nullptr))
      return {false, "Authentication-Results from " + id +
                         " only below the site's Received field, where senders write"};
  return {false, "no Authentication-Results from " + id};
}

}  // namespace desk
