// fix_refs.cc: finding issue references in commit messages (see fix_refs.h).
// A scanner, not a regular expression: linear in the text whatever it holds.
#include "desk/fix_refs.h"

#include <algorithm>
#include <array>

#include "desk/desk.h"

namespace desk {

namespace {

bool alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool word_char(char c) {
  return alpha(c) || digit(c) || c == '_';
}
bool path_char(char c) {
  return word_char(c) || c == '.' || c == '-' || c == '/';
}
// Only spaces and tabs: a list of references does not go on to the next line.
bool blank(char c) {
  return c == ' ' || c == '\t';
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// What may stand right before a reference: the start, white space, or
// opening punctuation. Anything else glues it to a word, path or URL.
bool opens(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
         std::string_view("([{<,;\"'*`>").find(c) != std::string_view::npos;
}
// What after the number makes it no reference: acme/game#42x, #42/..., #42.5
bool glued_after(std::string_view t, std::size_t j) {
  char c = t[j];
  if (word_char(c) || c == '#' || c == '/' || c == '@' || c == '-') return true;
  return c == '.' && j + 1 < t.size() && word_char(t[j + 1]);
}

struct Found {
  std::size_t begin = 0, end = 0;
  std::string path;
  std::int64_t iid = 0;
  bool closing = false;
};

std::vector<Found> scan(std::string_view t) {
  constexpr std::size_t kMaxDigits = 9;
  std::vector<Found> out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '#') continue;
    std::size_t j = i + 1;
    while (j < t.size() && digit(t[j]) && j - i <= kMaxDigits) ++j;
    if (j == i + 1 || (j < t.size() && (digit(t[j]) || glued_after(t, j)))) continue;
    std::size_t k = i;
    while (k > 0 && path_char(t[k - 1])) --k;
    if (k == i || (k > 0 && !opens(t[k - 1]))) continue;
    std::string path = lower(t.substr(k, i - k));
    if (path != "desk" && !valid_path(path)) continue;
    std::int64_t iid = 0;
    for (std::size_t d = i + 1; d < j; ++d) iid = iid * 10 + (t[d] - '0');
    if (iid == 0) continue;
    out.push_back({k, j, std::move(path), iid, false});
  }
  return out;
}

std::size_t back_blanks(std::string_view t, std::size_t p) {
  while (p > 0 && blank(t[p - 1])) --p;
  return p;
}
// The start of the word of letters that ends at `p` (p itself when none, or
// when it is glued to a word character before it).
std::size_t back_word(std::string_view t, std::size_t p) {
  std::size_t s = p;
  while (s > 0 && alpha(t[s - 1])) --s;
  if (s > 0 && word_char(t[s - 1])) return p;
  return s;
}

bool closing_word(const std::string& w) {
  static constexpr std::array<std::string_view, 16> kWords{
      "close",     "closes",     "closed",      "closing",     "fix",      "fixes",
      "fixed",     "fixing",     "resolve",     "resolves",    "resolved", "resolving",
      "implement", "implements", "implemented", "implementing"};
  return std::find(kWords.begin(), kWords.end(), w) != kWords.end();
}

// Between two references of one list: blanks, an optional ',', an optional
// "and" between blanks ("a, b", "a and b", "a, and b", "a b").
bool separator(std::string_view g) {
  if (g.empty()) return false;
  std::size_t i = 0;
  while (i < g.size() && blank(g[i])) ++i;
  if (i < g.size() && g[i] == ',') ++i;
  std::size_t before = i;
  while (i < g.size() && blank(g[i])) ++i;
  if (i + 3 < g.size() && lower(g.substr(i, 3)) == "and" && blank(g[i + 3]) &&
      (i > before || (i > 0 && blank(g[i - 1])))) {
    i += 3;
    while (i < g.size() && blank(g[i])) ++i;
  }
  return i == g.size();
}

// Does reference `n` close: after a closing word, or on in a closing list?
bool closes(std::string_view t, const std::vector<Found>& refs, std::size_t n) {
  std::size_t p = refs[n].begin;
  std::size_t q = back_blanks(t, p);
  std::size_t ws = back_word(t, q);
  std::string w = lower(t.substr(ws, q - ws));
  if ((w == "issue" || w == "issues") && q < p) {
    p = ws;
    q = back_blanks(t, p);
  }
  if (q < p) {  // a blank between the word (or its colon) and the reference
    std::size_t k = q > 0 && t[q - 1] == ':' ? q - 1 : q;
    std::size_t ks = back_word(t, k);
    if (ks < k && closing_word(lower(t.substr(ks, k - ks)))) return true;
  }
  if (n == 0 || !refs[n - 1].closing || refs[n - 1].end > p) return false;
  return separator(t.substr(refs[n - 1].end, p - refs[n - 1].end));
}

}  // namespace

std::vector<FixRef> find_refs(std::string_view text, const std::vector<std::string>& allowed,
                              std::size_t limit, const std::string& desk_path) {
  std::vector<Found> found = scan(text);
  for (std::size_t n = 0; n < found.size(); ++n) found[n].closing = closes(text, found, n);
  std::vector<FixRef> out;
  for (const auto& f : found) {
    std::string path = f.path;
    if (path == "desk") {
      if (desk_path.empty()) continue;
      path = desk_path;
    }
    if (std::find(allowed.begin(), allowed.end(), path) == allowed.end()) continue;
    auto action = f.closing ? FixRef::Action::close : FixRef::Action::mention;
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const FixRef& r) { return r.path == path && r.iid == f.iid; });
    if (same != out.end()) {
      if (action == FixRef::Action::close) same->action = action;
      continue;
    }
    if (out.size() >= limit) continue;
    out.push_back({action, std::move(path), f.iid});
  }
  return out;
}

}  // namespace desk
