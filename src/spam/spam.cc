// spam.cc: reading SpamAssassin, Rspamd and Exim verdict headers.
//   SpamAssassin: X-Spam-Flag: YES | X-Spam-Status: Yes, score=7.1 required=5.0 ...
//                 X-Spam-Score: 7.1 | X-Spam-Level: *******
//   Rspamd:       X-Spam: Yes | X-Rspamd-Action: reject | add header | rewrite subject
//                 X-Spamd-Result: default: True [12.30 / 15.00]; ...
//   Exim ACL:     X-Spam-Score: 7.1 | X-Spam-Bar: +++++++ (or ---)
#include "spam/spam.h"

#include <cstdlib>
#include <set>

#include "common/ascii.h"

namespace spam {

namespace {

using common::lower;

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<double> number(std::string_view s) {
  std::string t = trim(s);
  if (t.empty() || t.size() > 32) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end == t.c_str()) return std::nullopt;
  if (v != v || v > 1e6 || v < -1e6) return std::nullopt;
  return v;
}

bool starts(const std::string& s, std::string_view p) {
  return s.rfind(p, 0) == 0;
}

struct Reading {
  std::optional<bool> flag;
  std::optional<double> score;
};

Reading read(const std::string& name, const std::string& value) {
  Reading r;
  std::string v = lower(trim(value));
  if (name == "x-spam-flag" || name == "x-spam") {
    if (starts(v, "yes") || starts(v, "true"))
      r.flag = true;
    else if (starts(v, "no") || starts(v, "false"))
      r.flag = false;
  } else if (name == "x-spam-status") {
    if (starts(v, "yes"))
      r.flag = true;
    else if (starts(v, "no"))
      r.flag = false;
    auto p = v.find("score=");
    if (p != std::string::npos)
      r.score = number(v.substr(p + 6, v.find_first_of(" \t,", p + 6) - (p + 6)));
  } else if (name == "x-spam-score") {
    r.score = number(v);
  } else if (name == "x-spam-level") {
    std::size_t stars = 0;
    for (char c : v)
      if (c == '*') ++stars;
    if (stars) r.score = static_cast<double>(stars);
  } else if (name == "x-spam-bar") {
    std::size_t plus = 0, minus = 0;
    for (char c : v) {
      if (c == '+') ++plus;
      if (c == '-') ++minus;
    }
    if (plus)
      r.score = static_cast<double>(plus);
    else if (minus)
      r.score = -static_cast<double>(minus);
  } else if (name == "x-rspamd-action") {
    if (starts(v, "reject") || starts(v, "add header") || starts(v, "rewrite subject") ||
        starts(v, "soft reject"))
      r.flag = true;
    else if (starts(v, "no action") || starts(v, "greylist"))
      r.flag = false;
  } else if (name == "x-spamd-result") {
    if (v.find(": true") != std::string::npos || starts(v, "true"))
      r.flag = true;
    else if (v.find(": false") != std::string::npos || starts(v, "false"))
      r.flag = false;
    auto b = v.find('[');
    if (b != std::string::npos) r.score = number(v.substr(b + 1, v.find('/', b) - b - 1));
  }
  return r;
}

}  // namespace

const std::vector<std::string>& known_headers() {
  static const std::vector<std::string> k{"X-Spam-Flag",    "X-Spam-Status", "X-Spam-Score",
                                          "X-Spam-Level",   "X-Spam",        "X-Rspamd-Action",
                                          "X-Spamd-Result", "X-Spam-Bar"};
  return k;
}

Verdict assess(const std::vector<std::pair<std::string, std::string>>& headers, const Policy& p) {
  std::set<std::string> wanted;
  for (const auto& h : p.headers.empty() ? known_headers() : p.headers) wanted.insert(lower(h));
  std::set<std::string> seen;
  Verdict v;
  std::optional<bool> flag;
  std::string flag_from, score_from;
  for (const auto& [n, value] : headers) {
    std::string name = lower(n);
    if (!wanted.count(name)) continue;
    // topmost: the first instance of each field is the filter's; later
    // instances were in the message before it arrived.
    if (p.trust == Trust::topmost && !seen.insert(name).second) continue;
    Reading r = read(name, value);
    if (r.flag) {
      if (*r.flag && !(flag && *flag)) {
        flag = true;
        flag_from = n + ": " + trim(value).substr(0, 80);
      } else if (!*r.flag && !flag) {
        flag = false;
        flag_from = n + ": " + trim(value).substr(0, 80);
      }
    }
    if (r.score && (!v.score || *r.score > *v.score)) {
      v.score = r.score;
      score_from = n;
    }
  }
  if (flag && *flag) {
    v.spam = true;
    v.reason = flag_from;
  } else if (v.score && *v.score >= p.threshold) {
    v.spam = true;
    v.reason = score_from + " score " + std::to_string(*v.score) + " >= threshold";
  } else if (flag || v.score) {
    v.reason = flag ? flag_from : score_from + " below threshold";
  }
  return v;
}

}  // namespace spam
