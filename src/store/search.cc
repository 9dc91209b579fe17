// search.cc: folding and the words of the search index (see search.h).
#include "store/search.h"

#include <glib.h>

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_set>

#include "store/values.h"

namespace store::search {

namespace {

struct GFree {
  void operator()(gchar* p) const { g_free(p); }
};
using GText = std::unique_ptr<gchar, GFree>;

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
  if (c < 0x3000) return false;  // Hiragana, Katakana and Han all lie above
  switch (g_unichar_get_script(c)) {
    case G_UNICODE_SCRIPT_HAN:
    case G_UNICODE_SCRIPT_HIRAGANA:
    case G_UNICODE_SCRIPT_KATAKANA:
      return true;
    default:
      // The prolonged sound mark and the iteration marks are "common" but
      // belong to the words around them.
      return c == 0x30FC || c == 0x3005 || c == 0x309D || c == 0x309E || c == 0x30FD || c == 0x30FE;
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

namespace {

// One character lower-cased as case folding would (ß -> ss, final sigma ->
// sigma).
void append_folded(std::string& out, gunichar c) {
  if (c == 0xDF || c == 0x1E9E) {
    out += "ss";
    return;
  }
  if (c == 0x3C2) c = 0x3C3;
  append(out, g_unichar_tolower(c));
}

// A run of non-ASCII text folded, character by character (no allocation:
// GLib's tables only); `base` is the character before it. Latin, Greek and
// Cyrillic letters are decomposed (compatibility forms too: full-width
// letters, ligatures) and lose their accents; other scripts keep theirs.
void fold_run(std::string_view run, gunichar base, std::string& out) {
  const char* end = run.data() + run.size();
  for (const char* p = run.data(); p < end; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (is_mark(c)) {
      if (!(base && strips_marks(base))) append(out, c);
      continue;
    }
    base = c;
    if (!strips_marks(c)) {
      append_folded(out, c);
      continue;
    }
    gunichar parts[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
    gsize n = g_unichar_fully_decompose(c, TRUE, parts, G_UNICHAR_MAX_DECOMPOSITION_LENGTH);
    for (gsize i = 0; i < n; ++i)
      if (!is_mark(parts[i])) append_folded(out, parts[i]);
  }
}

}  // namespace

std::string fold(std::string_view text_in) {
  // Repaired when not clean (NULs dropped, bad bytes replaced); the repair
  // may be empty ("\0\0"), which must not bring the original back.
  const bool clean = is_clean_text(text_in);
  std::string repaired = clean ? std::string() : clean_text(text_in);
  std::string_view text = clean ? text_in : std::string_view(repaired);
  // ASCII (most of most mail) is only lower-cased; GLib sees the rest.
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) {
      char c = text[i++];
      out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (i == text.size()) break;
    gunichar base = i > start ? static_cast<gunichar>(static_cast<unsigned char>(text[i - 1])) : 0;
    start = i;
    while (i < text.size() && static_cast<unsigned char>(text[i]) >= 0x80) ++i;
    fold_run(text.substr(start, i - start), base, out);
  }
  return out;
}

namespace {

// Calls `each(text, cjk, chars)` for each word of folded UTF-8 text, as
// views into it (a word's characters are contiguous: folded text is valid
// UTF-8, so a character's bytes are what re-encoding it would give).
// ASCII is decided without GLib: a letter or digit, never CJK or a mark.
template <class Each>
void each_word(std::string_view folded, Each each) {
  const char* begin = folded.data();
  const char* end = begin + folded.size();
  const char* start = nullptr;  // the word being read, nullptr for none
  std::size_t chars = 0;
  bool cur_cjk = false;
  auto flush = [&](const char* at) {
    if (chars) each(std::string_view(start, static_cast<std::size_t>(at - start)), cur_cjk, chars);
    start = nullptr;
    chars = 0;
  };
  const char* p = begin;
  while (p < end && *p) {
    unsigned char b = static_cast<unsigned char>(*p);
    if (b < 0x80) {
      bool word = (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z');
      if (!word || cur_cjk) flush(p);
      if (word) {
        if (!chars) start = p, cur_cjk = false;
        ++chars;
      }
      ++p;
      continue;
    }
    const char* next = g_utf8_next_char(p);
    if (next > end) break;  // a cut character (folded text has none)
    gunichar c = g_utf8_get_char(p);
    bool cjk = is_cjk(c);
    bool mark = is_mark(c);
    bool word = cjk || g_unichar_isalnum(c) || (mark && chars);
    if (!word) {
      flush(p);
    } else {
      if (chars && cur_cjk != cjk && !mark) flush(p);
      if (!chars) start = p, cur_cjk = cjk;
      ++chars;
    }
    p = next;
  }
  flush(p);
}

}  // namespace

std::vector<Word> words(std::string_view folded) {
  std::vector<Word> out;
  each_word(folded, [&](std::string_view text, bool cjk, std::size_t chars) {
    out.push_back(Word{std::string(text), chars, cjk});
  });
  return out;
}

std::string sqlite_text(std::string_view doc) {
  // Folding may lengthen a text (ß -> ss, ligatures) or shorten it: the
  // input is cut first, so that a long text is not folded whole.
  std::string folded = fold(prefix(doc, kMaxIndexedBytes));
  // Each distinct word once, in the order of first appearance, a space
  // between: a query word is a run of letters and digits (query_words), so
  // it is in the text exactly when it is inside one of the text's words,
  // and the trigram index pays per token (repeated words, quoted lines and
  // punctuation were half of a mail's text in the test corpora).
  std::string out;
  out.reserve(folded.size());
  std::unordered_set<std::string_view> seen;
  bool cjk = false;
  each_word(folded, [&](std::string_view w, bool run_cjk, std::size_t) {
    cjk = cjk || run_cjk;
    if (!seen.insert(w).second) return;
    if (!out.empty()) out += ' ';
    out += w;
  });
  if (out.size() > kMaxIndexedBytes) out.resize(prefix(out, kMaxIndexedBytes).size());
  if (!cjk) return out;
  // Each two CJK characters in a row, with the marker, once each.
  std::string pairs;
  std::unordered_set<std::string_view> pair_seen;
  each_word(folded, [&](std::string_view w, bool run_cjk, std::size_t) {
    if (!run_cjk) return;
    const char* end = w.data() + w.size();
    for (const char* p = w.data(); p < end; p = g_utf8_next_char(p)) {
      const char* q = g_utf8_next_char(p);
      if (q >= end || !is_cjk(g_utf8_get_char(p)) || !is_cjk(g_utf8_get_char(q))) continue;
      std::string_view pair(p, static_cast<std::size_t>(g_utf8_next_char(q) - p));
      if (pair_seen.insert(pair).second) pairs.append(pair) += "\xEE\x80\x80 ";
    }
  });
  if (!pairs.empty()) out += "\n" + pairs;
  return out;
}

SqliteTerm sqlite_term(const Word& w) {
  if (w.cjk && w.chars == 2) return {true, "%" + w.text + "\xEE\x80\x80%"};
  return {w.chars >= 3, "%" + w.text + "%"};
}

std::string pg_vector(std::string_view doc) {
  std::string folded = fold(prefix(doc, kMaxIndexedBytes));
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
  for (std::size_t i = 0; i + 1 < cs.size(); ++i)
    q += (i ? " <-> " : "") + quoted(cs[i] + cs[i + 1]);
  return q;
}

std::vector<Word> query_words(std::string_view query) {
  auto ws = words(fold(prefix(query, 1024)));
  if (ws.size() > kMaxQueryWords) ws.resize(kMaxQueryWords);
  return ws;
}

}  // namespace store::search
