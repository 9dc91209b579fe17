// command.cc: LMTP command line parsing.
#include "lmtp/command.h"

#include <algorithm>

#include "common/ascii.h"

namespace lmtp {

namespace {

using common::istarts_with;
using common::upper;

}  // namespace

Command parse_command(std::string_view line) {
  Command c;
  auto sp = line.find(' ');
  std::string_view verb = line.substr(0, sp);
  c.name = upper(verb);
  if (sp != std::string_view::npos) c.args = std::string(line.substr(sp + 1));
  // Trailing spaces are common from hand-typed sessions; ignore them.
  while (!c.args.empty() && (c.args.back() == ' ' || c.args.back() == '\t')) c.args.pop_back();
  static const struct {
    const char* name;
    Verb verb;
  } table[] = {
      {"LHLO", Verb::lhlo},
      {"HELO", Verb::helo},
      {"EHLO", Verb::ehlo},
      {"MAIL", Verb::mail},
      {"RCPT", Verb::rcpt},
      {"DATA", Verb::data},
      {"RSET", Verb::rset},
      {"NOOP", Verb::noop},
      {"QUIT", Verb::quit},
      {"VRFY", Verb::vrfy},
      {"EXPN", Verb::unimplemented},
      {"HELP", Verb::unimplemented},
      {"BDAT", Verb::unimplemented},
      {"STARTTLS", Verb::unimplemented},
      {"AUTH", Verb::unimplemented},
      {"ETRN", Verb::unimplemented},
      {"TURN", Verb::unimplemented},
      {"XCLIENT", Verb::unimplemented},
      {"XFORWARD", Verb::unimplemented},
  };
  for (const auto& t : table)
    if (c.name == t.name) c.verb = t.verb;
  return c;
}

std::optional<PathArgs> parse_path_args(std::string_view args, std::string_view prefix) {
  if (!istarts_with(args, prefix)) return std::nullopt;
  args.remove_prefix(prefix.size());
  // RFC 5321 allows no space here, but many clients send one; accept it.
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  if (args.empty() || args.front() != '<') return std::nullopt;
  // Find the closing '>' outside a quoted string.
  std::size_t i = 1;
  bool quoted = false;
  for (; i < args.size(); ++i) {
    char ch = args[i];
    if (quoted && ch == '\\' && i + 1 < args.size()) {
      ++i;
      continue;
    }
    if (ch == '"') quoted = !quoted;
    if (!quoted && ch == '>') break;
  }
  if (i >= args.size()) return std::nullopt;
  PathArgs out;
  std::string_view path = args.substr(1, i - 1);
  // Source route "@a,@b:user@domain" (RFC 5321 section 4.1.2, obsolete): drop it.
  if (!path.empty() && path.front() == '@') {
    auto colon = path.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    path.remove_prefix(colon + 1);
  }
  for (char ch : path)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return std::nullopt;
  out.path = std::string(path);
  std::string_view rest = args.substr(i + 1);
  while (!rest.empty()) {
    if (rest.front() != ' ') return std::nullopt;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    auto end = rest.find(' ');
    std::string_view tok = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    Param p;
    auto eq = tok.find('=');
    p.keyword = upper(tok.substr(0, eq));
    if (p.keyword.empty()) return std::nullopt;
    if (eq != std::string_view::npos) {
      p.has_value = true;
      p.value = std::string(tok.substr(eq + 1));
    }
    out.params.push_back(std::move(p));
  }
  return out;
}

}  // namespace lmtp
