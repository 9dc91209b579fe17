// rfc2047.cc: joins adjacent RFC 2047 encoded words (see rfc2047.h).
#include "mail/rfc2047.h"

#include <gmime/gmime.h>

#include <optional>
#include <vector>

#include "common/ascii.h"
#include "mail/message.h"

namespace mail {

namespace {

struct Word {
  std::size_t end = 0;    // just past "?="
  std::string charset;    // lower case, without an RFC 2231 "*language"
  std::string_view name;  // the charset as written
  char encoding = 'B';
  std::string_view text;
};

bool lwsp(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The encoded word "=?charset?E?text?=" at `pos`, if one starts there.
std::optional<Word> word_at(std::string_view s, std::size_t pos) {
  if (s.compare(pos, 2, "=?") != 0) return std::nullopt;
  std::size_t q1 = s.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 == pos + 2 || q1 - pos > 80) return std::nullopt;
  if (q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
  char enc = common::to_upper(s[q1 + 1]);
  if (enc != 'B' && enc != 'Q') return std::nullopt;
  std::size_t text_begin = q1 + 3;
  std::size_t close = s.find("?=", text_begin);
  if (close == std::string_view::npos) return std::nullopt;
  Word w;
  w.name = s.substr(pos + 2, q1 - pos - 2);
  for (char c : w.name)
    if (lwsp(c) || c == '=') return std::nullopt;
  w.text = s.substr(text_begin, close - text_begin);
  for (char c : w.text)
    if (lwsp(c)) return std::nullopt;
  for (char c : w.name.substr(0, w.name.find('*'))) w.charset += common::to_lower(c);
  w.encoding = enc;
  w.end = close + 2;
  return w;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = common::to_upper(c);
  return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

// The bytes a word stands for (each word decoded on its own: a base64 word's
// padding ends only that word).
void append_decoded(const Word& w, std::string& out) {
  if (w.encoding == 'B') {
    std::string buf(w.text.size(), '\0');
    int state = 0;
    guint32 save = 0;
    std::size_t n = g_mime_encoding_base64_decode_step(
        reinterpret_cast<const unsigned char*>(w.text.data()), w.text.size(),
        reinterpret_cast<unsigned char*>(buf.data()), &state, &save);
    out.append(buf.data(), n);
    return;
  }
  for (std::size_t i = 0; i < w.text.size(); ++i) {
    char c = w.text[i];
    if (c == '_') {
      out += ' ';
    } else if (c == '=' && i + 2 < w.text.size() && hex(w.text[i + 1]) >= 0 &&
               hex(w.text[i + 2]) >= 0) {
      out += static_cast<char>(hex(w.text[i + 1]) * 16 + hex(w.text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
}

// Where the next encoded word after `end` starts, when only white space lies
// between; npos otherwise.
std::size_t adjacent(std::string_view s, std::size_t end) {
  std::size_t p = end;
  while (p < s.size() && lwsp(s[p])) ++p;
  return p > end && p < s.size() && s.compare(p, 2, "=?") == 0 ? p : std::string_view::npos;
}

}  // namespace

std::string join_encoded_words(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    auto w = s[i] == '=' ? word_at(s, i) : std::nullopt;
    if (!w) {
      out += s[i++];
      continue;
    }
    std::vector<Word> run{*w};
    for (;;) {
      std::size_t next = adjacent(s, run.back().end);
      if (next == std::string_view::npos) break;
      auto n = word_at(s, next);
      if (!n || n->charset != run.front().charset) break;
      run.push_back(*n);
    }
    if (run.size() == 1) {
      out.append(s.substr(i, w->end - i));
    } else {
      std::string bytes;
      for (const auto& r : run) append_decoded(r, bytes);
      gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
      out += "=?";
      out.append(run.front().name);
      out += "?B?";
      out += b64;
      out += "?=";
      g_free(b64);
    }
    i = run.back().end;
  }
  return out;
}

std::string decode_header_text(std::string_view raw) {
  std::string joined = join_encoded_words(raw);
  gchar* unfolded = g_mime_utils_header_unfold(joined.c_str());
  gchar* text = g_mime_utils_header_decode_text(nullptr, unfolded ? unfolded : "");
  std::string r = text ? to_valid_utf8(text) : std::string();
  g_free(text);
  g_free(unfolded);
  return r;
}

}  // namespace mail
