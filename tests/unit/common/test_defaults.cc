// The defaults table (common/defaults.h): deskmail.yaml(5) states each
// default and range as the table has them, and the loader checks every
// setting of the table against its range.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>

#include "common/defaults.h"
#include "../config/load.h"
#include "config/config.h"
#include "lmtp/server.h"
#include "mail/scan.h"
#include "outbox/dispatcher.h"
#include "spam/spam.h"

namespace {

namespace D = common::defaults;

std::string full_name(const D::Setting& s) {
  return s.section.empty() ? std::string(s.key) : std::string(s.section) + "." + std::string(s.key);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// How the man page writes a bound: large powers of two as 2^N.
std::string bound(std::uint64_t v) {
  if (v >= (std::uint64_t{1} << 24) && (v & (v - 1)) == 0) {
    int n = 0;
    while ((std::uint64_t{1} << n) != v) ++n;
    return "2^" + std::to_string(n);
  }
  return std::to_string(v);
}

// The text of the man page's entry for `s`: after ".It Cm KEY" in the
// setting's subsection, up to the next entry or the end of the list.
std::string entry(const std::string& page, const D::Setting& s) {
  std::string heading =
      s.section.empty() ? ".Ss Optional keys\n" : ".Ss " + std::string(s.section) + "\n";
  auto sec = page.find(heading);
  if (sec == std::string::npos) return "";
  auto sec_end = page.find("\n.S", sec + heading.size());
  auto it = page.find("\n.It Cm " + std::string(s.key) + "\n", sec);
  if (it == std::string::npos || it > sec_end) return "";
  auto start = page.find('\n', it + 1) + 1;
  auto stop = std::min(page.find("\n.It ", start), page.find("\n.El", start));
  return page.substr(start, stop - start);
}

const std::string kBase =
    "listen: [\"tcp:127.0.0.1:2424\"]\n"
    "address: desk@support.example.com\n"
    "database: \"sqlite3://db=/tmp/x.db\"\n";

// A config that sets `s` to `v`.
std::string with(const D::Setting& s, std::uint64_t v) {
  if (s.section.empty()) return kBase + std::string(s.key) + ": " + std::to_string(v) + "\n";
  return kBase + std::string(s.section) + ": { " + std::string(s.key) + ": " + std::to_string(v) +
         " }\n";
}

using unit::config_error;

}  // namespace

TEST_CASE("defaults: deskmail.yaml(5) documents every default and range") {
  std::string page = read_file(MAN_DIR "/deskmail.yaml.5");
  REQUIRE(page.find(".Ss limits") != std::string::npos);
  for (const D::Setting* s : D::kAll) {
    CAPTURE(full_name(*s));
    std::string text = entry(page, *s);
    REQUIRE(!text.empty());
    std::string value = std::to_string(s->value);
    CHECK(text.compare(0, value.size(), value) == 0);
    CHECK(text.size() > value.size());
    CHECK(!std::isdigit(static_cast<unsigned char>(text[value.size()])));
    std::string range =
        s->zero_unlimited ? "(0 = no limit)" : "(" + bound(s->min) + " to " + bound(s->max) + ")";
    CHECK(text.find(range) != std::string::npos);
  }
  std::string threshold = entry(page, {"spam", "threshold", 0, 0, 0});
  CHECK(threshold.rfind(std::to_string(D::spam_threshold).substr(0, 3) + ":", 0) == 0);
  // The string-valued ones: relay "HOST:PORT" and socket_mode "0660".
  std::string relay = std::string(D::relay_host) + ":" + std::to_string(D::relay_port);
  CHECK(entry(page, {"outbound", "relay", 0, 0, 0}).find(relay) != std::string::npos);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", D::socket_mode);
  CHECK(entry(page, {"", "socket_mode", 0, 0, 0}).find(mode) != std::string::npos);
}

TEST_CASE("defaults: the loader takes each setting's default and checks its range") {
  for (const D::Setting* s : D::kAll) {
    CAPTURE(full_name(*s));
    CHECK(config_error(with(*s, s->min)) == "");
    CHECK(config_error(with(*s, s->max)) == "");
    std::string out_of_range = full_name(*s) + " must be between " + std::to_string(s->min) +
                               " and " + std::to_string(s->max);
    CHECK(config_error(with(*s, s->max + 1)).find(out_of_range) != std::string::npos);
    if (s->min > 0) CHECK(config_error(with(*s, s->min - 1)).find(out_of_range) != std::string::npos);
  }
  auto c = config::load_string(kBase, "t.yaml");
  CHECK(c.limits.message_size == D::message_size.value);
  CHECK(c.limits.new_issues_per_sender_hour == D::new_issues_per_sender_hour.value);
  CHECK(c.timeouts.shutdown.count() == static_cast<long>(D::shutdown.value));
  CHECK(c.outbound.timeout.count() == static_cast<long>(D::smtp_timeout.value));
  CHECK(c.database_connections == D::database_connections.value);
  CHECK(c.spam.threshold == D::spam_threshold);
  CHECK(c.outbound.relay_host == D::relay_host);
  CHECK(c.outbound.relay_port == D::relay_port);
  CHECK(c.socket_mode == D::socket_mode);
}

TEST_CASE("defaults: the parts' own option structs start from the table") {
  lmtp::ServerOptions server;
  CHECK(server.max_connections == D::connections.value);
  CHECK(static_cast<std::uint64_t>(server.idle_timeout.count()) == D::idle.value);
  CHECK(server.session.message_size == D::message_size.value);
  CHECK(server.session.recipients == D::recipients.value);
  CHECK(server.session.bad_commands == D::bad_commands.value);
  mail::ScanLimits scan;
  CHECK(scan.header_size == D::header_size.value);
  CHECK(scan.header_count == D::header_count.value);
  CHECK(scan.line_length == D::line_length.value);
  CHECK(scan.mime_depth == D::mime_depth.value);
  CHECK(scan.mime_parts == D::mime_parts.value);
  CHECK(scan.header_addresses == D::header_addresses.value);
  CHECK(scan.received == D::received.value);
  CHECK(spam::Policy{}.threshold == D::spam_threshold);
  CHECK(server.socket_mode == D::socket_mode);
  outbox::Options out;
  CHECK(static_cast<std::uint64_t>(out.retry_base.count()) == D::retry_base.value);
  CHECK(static_cast<std::uint64_t>(out.retry_max.count()) == D::retry_max.value);
  CHECK(static_cast<std::uint64_t>(out.max_age.count()) == D::max_age.value);
  CHECK(static_cast<std::uint64_t>(out.timeout.count()) == D::smtp_timeout.value);
  CHECK(out.relay.host == D::relay_host);
  CHECK(out.relay.port == D::relay_port);
}
