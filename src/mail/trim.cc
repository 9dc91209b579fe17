// trim.cc: cutting quoted text and signatures from replies. The full text is
// always kept next to the trimmed one; this only decides what a responder
// reads first. Rules from what mail clients write (Gmail, Outlook, Apple
// Mail, Thunderbird, mutt) and from the email_reply_trimmer gem's ideas.
#include <cctype>
#include <regex>
#include <string>
#include <vector>

#include "mail/message.h"

namespace mail {

namespace {

std::vector<std::string> lines_of(std::string_view s) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p <= s.size()) {
    auto e = s.find('\n', p);
    if (e == std::string_view::npos) {
      out.emplace_back(s.substr(p));
      break;
    }
    out.emplace_back(s.substr(p, e - p));
    p = e + 1;
  }
  return out;
}

std::string trimmed(const std::string& l) {
  auto b = l.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = l.find_last_not_of(" \t\r");
  return l.substr(b, e - b + 1);
}

bool starts_with(const std::string& s, std::string_view p) {
  return s.rfind(p, 0) == 0;
}

// A line that introduces quoted text: "On Mon, 1 Jan 2026, Ann <a@b> wrote:",
// "Am ... schrieb ...:", "Le ... a écrit :", Outlook's separators.
bool quote_header(const std::string& line) {
  std::string t = trimmed(line);
  if (t.empty()) return false;
  if (starts_with(t, "-----Original Message-----") || starts_with(t, "----- Original Message") ||
      starts_with(t, "-----Ursprüngliche Nachricht-----") || starts_with(t, "________________"))
    return true;
  // The regular expression only for lines that can match: they end in ':'
  // and start with one of the six words (the check runs on every line).
  if (t.size() >= 400 || t.back() != ':') return false;
  static const char* const kIntro[] = {"on", "am", "le", "el", "il", "op"};
  bool intro = false;
  for (const char* w : kIntro)
    intro = intro || (t.size() > 3 && std::tolower(static_cast<unsigned char>(t[0])) == w[0] &&
                      std::tolower(static_cast<unsigned char>(t[1])) == w[1] &&
                      std::isspace(static_cast<unsigned char>(t[2])));
  if (!intro) return false;
  static const std::regex on_wrote(
      R"(^(On|Am|Le|El|Il|Op)\s.{0,300}(wrote|schrieb|a écrit|escribió|ha scritto|schreef)(\s.{0,200})?\s?:$)",
      std::regex::icase);
  if (std::regex_match(t, on_wrote)) return true;
  return false;
}

}  // namespace

std::string trim_reply(std::string_view text) {
  auto lines = lines_of(text);
  std::size_t cut = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    // The signature separator "-- " (RFC 3676 section 4.3).
    if (l == "-- " || l == "--") {
      cut = i;
      break;
    }
    if (quote_header(l)) {
      cut = i;
      break;
    }
    // "On ... <x@y>" wrapped over two lines by the client.
    if (i + 1 < lines.size() && quote_header(trimmed(l) + " " + trimmed(lines[i + 1]))) {
      cut = i;
      break;
    }
    // Outlook's header block: "From: ..." followed within a few lines by "Sent:"/"Date:".
    if (starts_with(trimmed(l), "From:") && i + 1 < lines.size()) {
      bool block = false;
      for (std::size_t j = i + 1; j < lines.size() && j <= i + 4; ++j)
        if (starts_with(trimmed(lines[j]), "Sent:") || starts_with(trimmed(lines[j]), "Date:") ||
            starts_with(trimmed(lines[j]), "Gesendet:"))
          block = true;
      if (block) {
        cut = i;
        break;
      }
    }
  }
  // Then drop a trailing block of quoted lines ("> ...") and blank lines.
  while (cut > 0) {
    std::string t = trimmed(lines[cut - 1]);
    if (t.empty() || t[0] == '>')
      --cut;
    else
      break;
  }
  std::string out;
  for (std::size_t i = 0; i < cut; ++i) out += lines[i] + (i + 1 < cut ? "\n" : "");
  // A reply that is only a quote (a forward) keeps everything.
  if (trimmed(out).empty()) return std::string(text);
  return out;
}

}  // namespace mail
