// text.cc: small text helpers for titles, file names and UTF-8 hygiene.
#include <glib.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "common/ascii.h"
#include "mail/message.h"

namespace mail {

std::string sha256_hex(std::string_view data, const common::Bytes* owner) {
  // Fetched once: an implicit fetch by name per message costs more than
  // hashing a small one.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> c(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = c && EVP_DigestInit_ex(c.get(), sha256 ? sha256 : EVP_sha256(), nullptr) == 1;
  constexpr std::size_t step = common::Bytes::kReleaseStep;
  const char* mark = data.data();
  for (std::size_t off = 0; ok && off < data.size(); off += step) {
    std::size_t n = std::min(step, data.size() - off);
    ok = EVP_DigestUpdate(c.get(), data.data() + off, n) == 1;
    if (owner) owner->passed(data.data() + off + n, mark);
  }
  ok = ok && EVP_DigestFinal_ex(c.get(), md, &len) == 1 && len == 32;
  if (!ok) throw std::runtime_error("SHA-256 failed (libcrypto)");
  static const char hex[] = "0123456789abcdef";
  std::string out(2 * len, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  return out;
}

std::string to_valid_utf8(std::string_view s) {
  // Most text already is valid UTF-8 without NUL: one copy, no rebuilding;
  // GLib validates only what follows the leading run of plain ASCII.
  std::string_view rest = s.substr(common::ascii_run(s));
  if (rest.find('\0') == std::string_view::npos &&
      g_utf8_validate_len(rest.data(), static_cast<gsize>(rest.size()), nullptr))
    return std::string(s);
  std::string no_nul;
  no_nul.reserve(s.size());
  for (char c : s)
    if (c != '\0') no_nul += c;
  gchar* v = g_utf8_make_valid(no_nul.data(), static_cast<gssize>(no_nul.size()));
  std::string out = v;
  g_free(v);
  return out;
}

std::string lf_text(std::string_view body) {
  std::string v = to_valid_utf8(body), text;
  text.reserve(v.size() + 1);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r') {
      text += '\n';
      if (i + 1 < v.size() && v[i + 1] == '\n') ++i;
    } else {
      text += v[i];
    }
  }
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

namespace {

// Cuts UTF-8 text at `max` bytes without splitting a character.
std::string utf8_cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// `s` on one line, runs of white space and controls one space; stops once
// it has more than `limit` bytes (a title needs 61 of a 4 KiB body: going
// on byte by byte was 1.6 % of the daemon's CPU for messages without Subject).
std::string one_line(std::string_view s, std::size_t limit) {
  std::string out;
  bool space = false;
  for (unsigned char c : s) {
    if (out.size() > limit) break;
    if (c < 0x20 || c == 0x7f) {
      space = !out.empty();
      continue;
    }
    if (c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::string make_title(std::string_view subject, std::string_view body) {
  std::string t = one_line(to_valid_utf8(subject), 255);
  if (!t.empty()) return utf8_cut(t, 255);
  // No subject: the first words of the body, cut at a word boundary. 4 KiB
  // of it are plenty for 60 characters (not the whole 100 KiB body).
  std::string b = one_line(to_valid_utf8(body.substr(0, 4096)), 60);
  if (b.size() <= 60 && body.size() > 4096) b = one_line(to_valid_utf8(body), 60);
  if (b.empty()) return "(no subject)";
  if (b.size() <= 60) return b;
  std::string cut = utf8_cut(b, 60);
  auto sp = cut.rfind(' ');
  if (sp != std::string::npos && sp > 20) cut.resize(sp);
  return cut + "…";
}

std::string sanitize_filename(std::string_view name) {
  std::string v = to_valid_utf8(name);
  // Last path component, for both separators.
  auto slash = v.find_last_of("/\\");
  if (slash != std::string::npos) v = v.substr(slash + 1);
  std::string out;
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' ||
        c == '>' || c == '|')
      out += '_';
    else
      out += static_cast<char>(c);
  }
  std::size_t start = 0;
  while (start < out.size() && (out[start] == '.' || out[start] == ' ')) ++start;
  out = out.substr(start);
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  out = utf8_cut(out, 200);
  if (out.empty()) out = "attachment";
  return out;
}

}  // namespace mail
