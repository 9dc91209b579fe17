// checker.h: inside the config library: collects the errors of one file,
// each with its line and column, while the loaders walk the YAML.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"

namespace config::detail {

class Checker {
 public:
  explicit Checker(std::string name) : name_(std::move(name)) {}

  void error(const YAML::Mark& m, const std::string& msg) {
    std::ostringstream os;
    os << name_ << ":" << (m.line + 1) << ":" << (m.column + 1) << ": " << msg;
    errors_.push_back(os.str());
  }
  void error(const YAML::Node& n, const std::string& msg) { error(n.Mark(), msg); }

  bool ok() const { return errors_.empty(); }
  std::string joined() const {
    std::string s;
    for (const auto& e : errors_) s += (s.empty() ? "" : "\n") + e;
    return s;
  }

  // Walks a mapping, rejecting duplicate and unknown keys, and calls the
  // handler for each known key.
  void map(const YAML::Node& node, const std::string& where,
           const std::map<std::string, std::function<void(const YAML::Node&)>>& keys) {
    if (!node.IsMap()) {
      error(node, where + " must be a mapping");
      return;
    }
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a temporary proxy, and a
      // reference into it dangles (found by fuzz_config under ASan).
      const YAML::Node k = it->first;
      const YAML::Node v = it->second;
      if (!k.IsScalar()) {
        error(k, "keys in " + where + " must be plain names");
        continue;
      }
      std::string key = k.Scalar();
      if (!seen.insert(key).second) {
        error(k, "duplicate key '" + key + "' in " + where);
        continue;
      }
      auto h = keys.find(key);
      if (h == keys.end()) {
        std::string known;
        for (const auto& [n, _] : keys) known += (known.empty() ? "" : ", ") + n;
        error(k, "unknown key '" + key + "' in " + where + " (known: " + known + ")");
        continue;
      }
      h->second(v);
    }
  }

  bool string(const YAML::Node& n, const std::string& key, std::string& out) {
    if (!n.IsScalar()) {
      error(n, key + " must be a string");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  template <class T>
  bool integer(const YAML::Node& n, const std::string& key, T& out, std::uint64_t min,
               std::uint64_t max) {
    if (!n.IsScalar()) {
      error(n, key + " must be an integer");
      return false;
    }
    const std::string& s = n.Scalar();
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
      error(n, key + " must be a non-negative integer, not '" + s + "'");
      return false;
    }
    if (v < min || v > max) {
      error(n, key + " must be between " + std::to_string(min) + " and " + std::to_string(max));
      return false;
    }
    out = static_cast<T>(v);
    return true;
  }

  bool seconds(const YAML::Node& n, const std::string& key, std::chrono::seconds& out,
               std::uint64_t min, std::uint64_t max) {
    std::uint64_t v = 0;
    if (!integer(n, key, v, min, max)) return false;
    out = std::chrono::seconds(v);
    return true;
  }

 private:
  std::string name_;
  std::vector<std::string> errors_;
};

/// Reads the log: section into `out` (log_section.cc).
void log_section(Checker& ck, const YAML::Node& n, Log& out);
void web_section(Checker& ck, const YAML::Node& n, Web& out);

}  // namespace config::detail
