// html.cc: HTML to plain text for messages whose only body is HTML. Not a
// renderer: enough to read the customer's words, with no markup left.
#include <cctype>
#include <cstdint>
#include <string>

#include "common/ascii.h"
#include "mail/message.h"

namespace mail {

namespace {

using common::iequals;

void put_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the entity starting at html[i] == '&'; returns bytes consumed (0 if none).
std::size_t entity(std::string_view html, std::size_t i, std::string& out) {
  auto semi = html.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) return 0;
  std::string_view name = html.substr(i + 1, semi - i - 1);
  if (name.empty()) return 0;
  if (name[0] == '#') {
    std::uint32_t cp = 0;
    bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      int d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (hex && c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        return 0;
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
      if (cp > 0x10FFFF) cp = 0x110000;
    }
    put_utf8(out, cp);
    return semi - i + 1;
  }
  static const struct {
    const char* n;
    const char* s;
  } named[] = {{"amp", "&"},    {"lt", "<"},     {"gt", ">"},    {"quot", "\""},  {"apos", "'"},
               {"nbsp", " "},   {"copy", "©"},   {"reg", "®"},   {"hellip", "…"}, {"mdash", "—"},
               {"ndash", "–"},  {"euro", "€"},   {"laquo", "«"}, {"raquo", "»"},  {"rsquo", "’"},
               {"lsquo", "‘"},  {"rdquo", "”"},  {"ldquo", "“"}, {"auml", "ä"},   {"ouml", "ö"},
               {"uuml", "ü"},   {"Auml", "Ä"},   {"Ouml", "Ö"},  {"Uuml", "Ü"},   {"szlig", "ß"},
               {"eacute", "é"}, {"egrave", "è"}, {"agrave", "à"}};
  for (const auto& e : named)
    if (name == e.n) {
      out += e.s;
      return semi - i + 1;
    }
  return 0;
}

}  // namespace

std::string html_to_text(std::string_view html) {
  std::string out;
  std::size_t i = 0;
  bool space = false;
  auto newline = [&](int n) {
    // at most n consecutive newlines
    while (!out.empty() && out.back() == ' ') out.pop_back();
    int have = 0;
    for (auto it = out.rbegin(); it != out.rend() && *it == '\n'; ++it) ++have;
    if (out.empty()) return;
    for (; have < n; ++have) out += '\n';
    space = false;
  };
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      // Comments
      if (html.substr(i, 4) == "<!--") {
        auto end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      auto end = html.find('>', i);
      if (end == std::string_view::npos) break;
      std::string_view tag = html.substr(i + 1, end - i - 1);
      bool closing = !tag.empty() && tag[0] == '/';
      if (closing) tag.remove_prefix(1);
      std::size_t n = 0;
      while (n < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[n])))) ++n;
      std::string_view name = tag.substr(0, n);
      i = end + 1;
      if (!closing && (iequals(name, "script") || iequals(name, "style") || iequals(name, "head") ||
                       iequals(name, "title"))) {
        // Skip to the matching close tag.
        std::string close = "</" + std::string(name);
        std::size_t j = i;
        for (;;) {
          j = html.find("</", j);
          if (j == std::string_view::npos) {
            i = html.size();
            break;
          }
          if (iequals(html.substr(j, close.size()), close)) {
            auto e2 = html.find('>', j);
            i = e2 == std::string_view::npos ? html.size() : e2 + 1;
            break;
          }
          j += 2;
        }
        continue;
      }
      if (iequals(name, "br")) {
        out += '\n';
        space = false;
      } else if (iequals(name, "p") || iequals(name, "div") || iequals(name, "tr") ||
                 iequals(name, "table") || iequals(name, "blockquote") || iequals(name, "pre") ||
                 iequals(name, "ul") || iequals(name, "ol") ||
                 (name.size() == 2 && (name[0] == 'h' || name[0] == 'H') && name[1] >= '1' &&
                  name[1] <= '6')) {
        newline(iequals(name, "p") || name.size() == 2 ? 2 : 1);
      } else if (iequals(name, "li") && !closing) {
        newline(1);
        out += "- ";
      } else if (iequals(name, "td") || iequals(name, "th")) {
        space = true;
      }
      continue;
    }
    if (c == '&') {
      std::string tmp;
      std::size_t used = entity(html, i, tmp);
      if (used) {
        if (space && !out.empty() && out.back() != '\n') out += ' ';
        space = false;
        out += tmp;
        i += used;
        continue;
      }
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      ++i;
      continue;
    }
    if (space && !out.empty() && out.back() != '\n') out += ' ';
    space = false;
    out += c;
    ++i;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace mail
