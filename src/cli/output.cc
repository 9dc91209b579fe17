// output.cc: how deskmail prints (see output.h).
#include "cli/output.h"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "config/config.h"

namespace cli {

namespace {

std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;
  return w;
}

}  // namespace

std::string when(std::int64_t t) {
  if (t <= 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string terminal_safe(std::string_view s, bool lines) {
  static const char* kHex = "0123456789ABCDEF";
  auto code = [](std::string& out, unsigned cp) {
    out += "<U+";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
    out += '>';
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && !(lines && (c == '\n' || c == '\t'))) {
      out += '^';
      out += static_cast<char>(c + 0x40);
    } else if (c == 0x7F) {
      out += "^?";
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      code(out, static_cast<unsigned char>(s[++i]));  // C1: U+0080..U+009F
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               static_cast<unsigned char>(s[i + 2]) >= 0xAA &&
               static_cast<unsigned char>(s[i + 2]) <= 0xAE) {
      code(out, 0x2000 + (static_cast<unsigned char>(s[i + 2]) & 0x3F));  // U+202A..U+202E
      i += 2;
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x81 &&
               static_cast<unsigned char>(s[i + 2]) >= 0xA6 &&
               static_cast<unsigned char>(s[i + 2]) <= 0xA9) {
      code(out, 0x2040 + (static_cast<unsigned char>(s[i + 2]) & 0x3F));  // U+2066..U+2069
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& raw) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(raw.size());
  for (const auto& r : raw) {
    rows.emplace_back();
    for (const auto& cell : r) rows.back().push_back(terminal_safe(cell));
  }
  std::vector<std::size_t> w;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], display_width(r[i]));
    }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - display_width(r[i]) + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string address_for(const config::Config& cfg, const std::string& tag) {
  return cfg.base_local() + "+" + tag + "@" + cfg.base_domain();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string acting_as(const config::Config& cfg, const Args& a) {
  return a.get("as").value_or(cfg.responder.empty() ? cfg.address : cfg.responder);
}

}  // namespace cli
