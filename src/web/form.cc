// form.cc: forms, cookies, tokens and names (see form.h).
#include "web/form.h"

#include <boost/url/decode_view.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/params_encoded_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cctype>

namespace web {

namespace {

// UTF-8 without NUL (overlongs and surrogates are left to the store,
// which cleans every text it keeps).
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c == 0) return false;
    if (c < 0x80)
      n = 0;
    else if ((c >> 5) == 0x6)
      n = 1;
    else if ((c >> 4) == 0xe)
      n = 2;
    else if ((c >> 3) == 0x1e)
      n = 3;
    else
      return false;
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n + 1;
  }
  return true;
}

// '+' is a space in forms (HTML's urlencoded), but only a '+' as sent: a
// decoded "%2B" is a plus. Boost.URL checked the escapes already.
std::string decoded(boost::urls::pct_string_view s) {
  std::string enc(s.data(), s.size());
  for (std::size_t at = enc.find('+'); at != std::string::npos; at = enc.find('+', at))
    enc.replace(at, 1, "%20");
  auto v = boost::urls::make_pct_string_view(enc);
  return v ? v->decode() : std::string();
}

}  // namespace

std::optional<Form> parse_form(std::string_view text, std::size_t max_fields) {
  Form out;
  if (text.empty()) return out;
  // A form has no raw NUL (%00 is one, encoded). Boost.URL 1.81's
  // parse_query reads its argument as a C string (ASan: strlen past the end
  // of a view): it is given a NUL-terminated copy.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string terminated(text);
  auto r = boost::urls::parse_query(terminated);
  if (!r) return std::nullopt;
  for (auto p : *r) {
    if (out.size() >= max_fields) return std::nullopt;
    if (p.key.empty() && !p.has_value) continue;  // "a=1&&b=2"
    std::string key = decoded(p.key), value = p.has_value ? decoded(p.value) : std::string();
    if (!valid_utf8(key) || !valid_utf8(value)) return std::nullopt;
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

std::optional<Form> form_of_parts(std::vector<common::FormPart>& parts,
                                  std::vector<common::FormPart>& files, std::size_t max_fields) {
  Form out;
  for (auto& p : parts) {
    if (p.is_file) {
      files.push_back(std::move(p));
      continue;
    }
    if (out.size() >= max_fields) return std::nullopt;
    if (!valid_utf8(p.name) || !valid_utf8(p.content)) return std::nullopt;
    out.emplace(std::move(p.name), std::move(p.content));
  }
  return out;
}

bool is_media_type(std::string_view content_type, std::string_view type) {
  auto end = content_type.find(';');
  std::string_view t = content_type.substr(0, end);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  if (t.size() != type.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(t[i])) !=
        std::tolower(static_cast<unsigned char>(type[i])))
      return false;
  return true;
}

std::string field(const Form& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

std::optional<std::string> cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (pair.substr(0, eq) != name) continue;
    std::string_view v = pair.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return std::string(v);
  }
  return std::nullopt;
}

std::string set_cookie(std::string_view name, std::string_view value, long long max_age,
                       bool secure) {
  std::string s = std::string(name) + "=" + std::string(value) +
                  "; Path=/; Max-Age=" + std::to_string(max_age) + "; HttpOnly; SameSite=Lax";
  if (secure) s += "; Secure";
  return s;
}

bool same_token(std::string_view expected, std::string_view given) {
  if (expected.empty() || expected.size() != given.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i] ^ given[i]);
  return diff == 0;
}

std::string content_disposition(std::string_view filename) {
  std::string ascii;
  for (char c : filename) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\' || c == '/' || c == ';' || c == '%')
      ascii += '_';
    else
      ascii += c;
  }
  while (!ascii.empty() && (ascii.front() == '.' || ascii.front() == ' ')) ascii.erase(0, 1);
  if (ascii.empty()) ascii = "attachment";
  if (ascii.size() > 150) ascii.resize(150);
  std::string utf8(filename.substr(0, 400));
  for (auto& c : utf8)
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
  std::string encoded = boost::urls::encode(utf8, boost::urls::unreserved_chars);
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

bool is_trusted(const std::string& peer, const std::vector<std::string>& trusted) {
  for (const auto& t : trusted)
    if (t == peer) return true;
  return false;
}

std::string client_address(const std::string& peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted) {
  if (!is_trusted(peer, trusted)) return peer;
  std::string chosen = peer;
  // Right to left: each proxy appends the address it saw.
  while (!forwarded_for.empty()) {
    auto comma = forwarded_for.rfind(',');
    std::string_view item =
        comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
    forwarded_for =
        comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty() || item.size() > 64) break;
    chosen = std::string(item);
    if (!is_trusted(chosen, trusted)) break;
  }
  return chosen;
}

std::string query_string(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    out += out.empty() ? "?" : "&";
    out += boost::urls::encode(k, boost::urls::unreserved_chars) + "=" +
           boost::urls::encode(v, boost::urls::unreserved_chars);
  }
  return out;
}

}  // namespace web
