// command.cc: looking commands up in the table and the usage built from it
// (see command.h).
#include "cli/command.h"

#include <algorithm>

namespace cli {

namespace {

constexpr std::string_view kHeader = "usage: deskmail [-c FILE] COMMAND [ARGS] [--json]\n";

// "db: expected init, migrate, version, check or copy"
std::string expected_verbs(std::span<const Command> table, const std::string& group) {
  std::vector<std::string_view> verbs;
  for (const auto& c : table)
    if (c.group == group && std::find(verbs.begin(), verbs.end(), c.verb) == verbs.end())
      verbs.push_back(c.verb);
  std::string s = group + ": expected ";
  for (std::size_t i = 0; i < verbs.size(); ++i) {
    if (i > 0) s += i + 1 == verbs.size() ? " or " : ", ";
    s += verbs[i];
  }
  return s;
}

std::string lines(std::span<const Command> table, std::string_view group) {
  std::string text(kHeader);
  std::vector<std::string_view> seen;
  for (const auto& c : table) {
    if (!group.empty() && c.group != group) continue;
    if (std::find(seen.begin(), seen.end(), c.usage) != seen.end()) continue;
    seen.push_back(c.usage);
    text += "  ";
    text += c.usage;
    text += "\n";
  }
  return text;
}

}  // namespace

Call resolve(std::span<const Command> table, const std::vector<std::string>& words) {
  if (words.empty()) throw UsageError("no command given");
  const std::string& group = words[0];
  bool known_group = false;
  for (const auto& c : table) {
    if (c.group != group) continue;
    known_group = true;
    if (c.verb.empty()) {
      // The REF is taken as it stands, even when it looks like an option.
      std::vector<std::string> rest(words.begin() + std::min<std::ptrdiff_t>(2, std::ssize(words)),
                                    words.end());
      Call call{&c, parse_args(rest, c.options, c.flags)};
      if (words.size() > 1) call.args.pos.insert(call.args.pos.begin(), words[1]);
      return call;
    }
    if (words.size() > 1 && c.verb == words[1])
      return {&c, parse_args({words.begin() + 2, words.end()}, c.options, c.flags)};
  }
  if (known_group) throw GroupUsage(group, expected_verbs(table, group));
  throw UsageError("unknown command '" + group + (words.size() > 1 ? " " + words[1] : "") + "'");
}

std::string usage(std::span<const Command> table) {
  return lines(table, "");
}

std::string group_usage(std::span<const Command> table, std::string_view group) {
  return lines(table, group);
}

}  // namespace cli
