// args.cc: the command line's words, parsed (see args.h).
#include "cli/args.h"

#include <algorithm>

namespace cli {

namespace {

bool among(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

Global parse_global(const std::vector<std::string>& argv, std::string default_config) {
  Global g;
  g.config = std::move(default_config);
  std::size_t i = 0;
  for (; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if ((s == "-c" || s == "--config") && i + 1 < argv.size()) {
      g.config = argv[++i];
    } else if (s == "-h" || s == "--help") {
      g.help = true;
      return g;
    } else if (s == "--version" || s == "-V") {
      g.version = true;
      return g;
    } else {
      break;
    }
  }
  g.command.assign(argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());
  return g;
}

std::optional<std::string> Args::get(const std::string& name) const {
  std::optional<std::string> v;
  for (const auto& [n, val] : opts)
    if (n == name) v = val;
  return v;
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> v;
  for (const auto& [n, val] : opts)
    if (n == name) v.push_back(val);
  return v;
}

Args parse_args(const std::vector<std::string>& words, const std::vector<std::string>& options,
                const std::vector<std::string>& flags) {
  Args a;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& s = words[i];
    if (s == "--json") {
      a.json = true;
    } else if (s == "-m" && among(options, "message") && i + 1 < words.size()) {
      a.opts.emplace_back("message", words[++i]);
    } else if (s.rfind("--", 0) == 0) {
      auto eq = s.find('=');
      std::string name = s.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (among(flags, name)) {
        a.opts.emplace_back(name, "1");
      } else if (among(options, name)) {
        if (eq != std::string::npos)
          a.opts.emplace_back(name, s.substr(eq + 1));
        else if (i + 1 < words.size())
          a.opts.emplace_back(name, words[++i]);
        else
          throw UsageError("option --" + name + " needs a value");
      } else {
        throw UsageError("unknown option " + s);
      }
    } else {
      a.pos.push_back(s);
    }
  }
  return a;
}

}  // namespace cli
