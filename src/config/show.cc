// show.cc: the effective configuration, setting by setting, for
// `deskmail config show` (like postconf(1) and doveconf(1)).
#include <unistd.h>

#include <cstdio>

#include "config/config.h"

namespace config {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s = "[";
  for (const auto& e : v) s += (s.size() > 1 ? ", " : "") + e;
  return s + "]";
}

std::string listen_text(const std::vector<Listen>& ls) {
  std::vector<std::string> specs;
  for (const auto& l : ls) {
    std::string s = l.spec;
    if (!l.user.empty()) s += " user=" + l.user;
    if (!l.group.empty()) s += " group=" + l.group;
    if (l.mode) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%04o", *l.mode);
      s += std::string(" mode=") + buf;
    }
    specs.push_back(s);
  }
  return join(specs);
}

std::string octal(unsigned m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", m);
  return buf;
}

std::string flag(bool b) {
  return b ? "true" : "false";
}

std::string local_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) == 0 && buf[0]) return buf;
  return "localhost";
}

std::string number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

const char* spam_action(Spam::Action a) {
  return a == Spam::Action::reject ? "reject" : a == Spam::Action::accept ? "accept" : "quarantine";
}

}  // namespace

std::string redact(const std::string& c) {
  std::string out = c;
  // SOCI/libpq keywords: "... password=SECRET ..." (or 'quoted secret').
  for (std::size_t at = out.find("password="); at != std::string::npos;
       at = out.find("password=", at + 1)) {
    std::size_t v = at + 9, end = v;
    if (end < out.size() && out[end] == '\'') {
      end = out.find('\'', end + 1);
      end = end == std::string::npos ? out.size() : end + 1;
    } else {
      while (end < out.size() && out[end] != ' ') ++end;
    }
    out.replace(v, end - v, "*****");
  }
  // A URI: "postgresql://user:SECRET@host/db".
  auto scheme = out.find("://");
  auto at = out.find('@', scheme == std::string::npos ? 0 : scheme);
  if (scheme != std::string::npos && at != std::string::npos) {
    auto colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at && out.find(' ', scheme) > at)
      out.replace(colon + 1, at - colon - 1, "*****");
  }
  return out;
}

std::vector<Shown> show(const Config& c) {
  const Config d;  // the defaults
  std::vector<Shown> v;
  auto add = [&v](std::string name, std::string value, bool is_default) {
    v.push_back({std::move(name), std::move(value), is_default});
  };
  auto num = [&add](const defaults::Setting& s, std::uint64_t value) {
    std::string name =
        s.section.empty() ? std::string(s.key) : std::string(s.section) + "." + std::string(s.key);
    add(name, std::to_string(value), value == s.value);
  };
  auto secs = [&num](const defaults::Setting& s, std::chrono::seconds t) {
    num(s, static_cast<std::uint64_t>(t.count()));
  };
  add("address", c.address, false);
  add("listen", listen_text(c.listen), false);
  add("database", redact(c.database), false);
  num(defaults::database_connections, c.database_connections);
  add("hostname", c.hostname, c.hostname == local_hostname());
  add("spool_directory", c.spool_directory.empty() ? "(TMPDIR or /tmp)" : c.spool_directory,
      c.spool_directory.empty());
  add("socket_mode", octal(c.socket_mode), c.socket_mode == d.socket_mode);
  add("bare_lf", c.bare_lf == BareLf::reject ? "reject" : "normalize", c.bare_lf == d.bare_lf);
  add("responder", c.responder, c.responder.empty());
  const auto& l = c.limits;
  num(defaults::message_size, l.message_size);
  num(defaults::recipients, l.recipients);
  num(defaults::connections, l.connections);
  num(defaults::bad_commands, l.bad_commands);
  num(defaults::header_size, l.header_size);
  num(defaults::header_count, l.header_count);
  num(defaults::line_length, l.line_length);
  num(defaults::mime_depth, l.mime_depth);
  num(defaults::mime_parts, l.mime_parts);
  num(defaults::header_addresses, l.header_addresses);
  num(defaults::received, l.received);
  num(defaults::confirmations_per_sender_day, l.confirmations_per_sender_day);
  num(defaults::new_issues_per_sender_hour, l.new_issues_per_sender_hour);
  secs(defaults::idle, c.timeouts.idle);
  secs(defaults::store_wait, c.timeouts.store_wait);
  secs(defaults::shutdown, c.timeouts.shutdown);
  const auto& o = c.outbound;
  add("outbound.enabled", flag(o.enabled), o.enabled == d.outbound.enabled);
  add("outbound.relay", o.relay_host + ":" + std::to_string(o.relay_port),
      o.relay_host == d.outbound.relay_host && o.relay_port == d.outbound.relay_port);
  add("outbound.from_name", o.from_name, o.from_name == d.outbound.from_name);
  secs(defaults::retry_base, o.retry_base);
  secs(defaults::retry_max, o.retry_max);
  secs(defaults::max_age, o.max_age);
  secs(defaults::smtp_timeout, o.timeout);
  add("spam.action", spam_action(c.spam.action), c.spam.action == d.spam.action);
  add("spam.threshold", number(c.spam.threshold), c.spam.threshold == d.spam.threshold);
  add("spam.trust", c.spam.trust_all ? "all" : "topmost", c.spam.trust_all == d.spam.trust_all);
  add("spam.headers", c.spam.headers.empty() ? "(all known fields)" : join(c.spam.headers),
      c.spam.headers.empty());
  const auto& a = c.authentication;
  add("authentication.authserv_id", a.authserv_id, a.authserv_id == c.hostname);
  add("authentication.require",
      a.require == Authentication::Require::none    ? "none"
      : a.require == Authentication::Require::dmarc ? "dmarc"
                                                    : "dkim_aligned",
      a.require == d.authentication.require);
  num(defaults::auth_hops, a.hops);
  add("log.to", c.log.to == Log::To::syslog ? "syslog" : "stderr", c.log.to == d.log.to);
  add("log.facility", c.log.facility, c.log.facility == d.log.facility);
  add("log.socket", c.log.socket, c.log.socket == d.log.socket);
  add("log.syslog_name", c.log.syslog_name, c.log.syslog_name == d.log.syslog_name);
  const auto& w = c.web;
  add("web.listen", listen_text(w.listen), w.listen.empty());
  add("web.metrics", listen_text(w.metrics), w.metrics.empty());
  add("web.base_url", w.base_url, w.base_url.empty());
  add("web.trusted_proxies", join(w.trusted_proxies), w.trusted_proxies.empty());
  add("web.sso_header", w.sso_header, w.sso_header.empty());
  secs(defaults::web_session_lifetime, w.session_lifetime);
  secs(defaults::web_link_lifetime, w.link_lifetime);
  num(defaults::web_links_per_address_hour, w.links_per_address_hour);
  num(defaults::web_links_per_client_hour, w.links_per_client_hour);
  num(defaults::web_header_size, w.header_size);
  num(defaults::web_body_size, w.body_size);
  secs(defaults::web_timeout, w.timeout);
  num(defaults::web_connections, w.connections);
  num(defaults::web_page_size, w.page_size);
  num(defaults::web_request_timeout_ms, w.request_timeout.count());
  return v;
}

}  // namespace config
