// search.cc: folding and the words of the search index (see search.h).
#include "store/search.h"

#include <glib.h>

#include <map>
#include <memory>

#include "store/values.h"

namespace store::search {

namespace {

struct GFree {
  void operator()(gchar* p) const { g_free(p); }
};
using GText = std::unique_ptr<gchar, GFree>;

std::string taken(gchar* p) {
  GText owned(p);
  return p ? std::string(p) : std::string();
}

bool strips_marks(gunichar base) {
  switch (g_unichar_get_script(base)) {
    case G_UNICODE_SCRIPT_LATIN:
    case G_UNICODE_SCRIPT_GREEK:
    case G_UNICODE_SCRIPT_CYRILLIC:
      return true;
    default:
      return false;
  }
}

bool is_mark(gunichar c) {
  auto t = g_unichar_type(c);
  return t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_SPACING_MARK ||
         t == G_UNICODE_ENCLOSING_MARK;
}

bool is_cjk(gunichar c) {
  switch (g_unichar_get_script(c)) {
    case G_UNICODE_SCRIPT_HAN:
    case G_UNICODE_SCRIPT_HIRAGANA:
    case G_UNICODE_SCRIPT_KATAKANA:
      return true;
    default:
      // The prolonged sound mark and the iteration marks are "common" but
      // belong to the words around them.
      return c == 0x30FC || c == 0x3005 || c == 0x309D || c == 0x309E || c == 0x30FD ||
             c == 0x30FE;
  }
}

void append(std::string& out, gunichar c) {
  char buf[6];
  out.append(buf, static_cast<std::size_t>(g_unichar_to_utf8(c, buf)));
}

// The first `max` bytes of UTF-8 `s`, cut at a character boundary.
std::string_view prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// The UTF-8 of each character of `s`.
std::vector<std::string> chars_of(const std::string& s) {
  std::vector<std::string> out;
  for (const char* p = s.c_str(); *p; p = g_utf8_next_char(p))
    out.emplace_back(p, static_cast<std::size_t>(g_utf8_next_char(p) - p));
  return out;
}

// A lexeme quoted for tsvector and tsquery input.
std::string quoted(const std::string& lexeme) {
  std::string q = "'";
  for (char c : lexeme) {
    if (c == '\'' || c == '\\') q += c;
    q += c;
  }
  return q + "'";
}

}  // namespace

std::string fold(std::string_view text_in) {
  std::string text = is_clean_text(text_in) ? std::string(text_in) : clean_text(text_in);
  std::string decomposed =
      taken(g_utf8_normalize(text.data(), static_cast<gssize>(text.size()), G_NORMALIZE_NFKD));
  std::string bare;
  bare.reserve(decomposed.size());
  gunichar base = 0;
  for (const char* p = decomposed.c_str(); *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (is_mark(c)) {
      if (base && strips_marks(base)) continue;
    } else {
      base = c;
    }
    append(bare, c);
  }
  std::string composed =
      taken(g_utf8_normalize(bare.data(), static_cast<gssize>(bare.size()), G_NORMALIZE_NFKC));
  return taken(g_utf8_casefold(composed.data(), static_cast<gssize>(composed.size())));
}

std::vector<Word> words(std::string_view folded) {
  std::vector<Word> out;
  Word cur;
  auto flush = [&] {
    if (cur.chars) out.push_back(std::move(cur));
    cur = Word{};
  };
  std::string s(folded);
  for (const char* p = s.c_str(); *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    bool cjk = is_cjk(c);
    bool word = cjk || g_unichar_isalnum(c) || (is_mark(c) && cur.chars);
    if (!word) {
      flush();
      continue;
    }
    if (cur.chars && cur.cjk != cjk && !is_mark(c)) flush();
    if (!cur.chars) cur.cjk = cjk;
    append(cur.text, c);
    ++cur.chars;
  }
  flush();
  return out;
}

std::string sqlite_text(std::string_view doc) {
  std::string folded = fold(doc);
  std::string out(prefix(folded, kMaxIndexedBytes));
  std::string pairs;
  for (const auto& w : words(out)) {
    if (!w.cjk || w.chars < 2) continue;
    auto cs = chars_of(w.text);
    for (std::size_t i = 0; i + 1 < cs.size(); ++i) pairs += cs[i] + cs[i + 1] + "\xEE\x80\x80 ";
  }
  if (!pairs.empty()) out += "\n" + pairs;
  return out;
}

SqliteTerm sqlite_term(const Word& w) {
  if (w.chars >= 3) return {false, "\"" + w.text + "\""};
  if (w.cjk && w.chars == 2) return {false, "\"" + w.text + "\xEE\x80\x80\""};
  return {true, "%" + w.text + "%"};
}

std::string pg_vector(std::string_view doc) {
  std::string folded = fold(doc);
  std::map<std::string, std::vector<int>> positions;
  int pos = 0;
  auto add = [&](const std::string& lexeme) {
    // Positions above 16383 are 16383 to PostgreSQL; a lexeme keeps at most
    // 256 of them; one of more than 2046 bytes is refused (none of ours is).
    if (lexeme.size() > 200) return;
    auto& p = positions[lexeme];
    if (p.size() < 255) p.push_back(std::min(++pos, 16383));
  };
  for (const auto& w : words(prefix(folded, kMaxIndexedBytes))) {
    if (!w.cjk) {
      add(w.text);
      continue;
    }
    auto cs = chars_of(w.text);
    for (std::size_t i = 0; i + 1 < cs.size(); ++i) add(cs[i] + cs[i + 1]);
    add(cs.back());
  }
  std::string out;
  for (const auto& [lexeme, ps] : positions) {
    if (!out.empty()) out += ' ';
    out += quoted(lexeme) + ":";
    for (std::size_t i = 0; i < ps.size(); ++i) out += (i ? "," : "") + std::to_string(ps[i]);
  }
  return out;
}

std::string pg_query(const Word& w) {
  if (!w.cjk || w.chars == 1) return quoted(w.text) + ":*";
  auto cs = chars_of(w.text);
  std::string q;
  for (std::size_t i = 0; i + 1 < cs.size(); ++i) q += (i ? " <-> " : "") + quoted(cs[i] + cs[i + 1]);
  return q;
}

std::vector<Word> query_words(std::string_view query) {
  auto ws = words(fold(prefix(query, 1024)));
  if (ws.size() > kMaxQueryWords) ws.resize(kMaxQueryWords);
  return ws;
}

}  // namespace store::search
