// web_section.cc: the web: section of deskmail.yaml (deskmail-web(8),
// deskmail.yaml(5) WEB DESK).
#include <arpa/inet.h>

#include <cctype>

#include "config/checker.h"
#include "config/config.h"

namespace config::detail {

namespace {

// "http://host[:port]" or "https://...", optionally with a path; no trailing
// '/', no white space or quotes (it goes into mails and Location fields).
bool valid_base_url(const std::string& u) {
  std::size_t scheme = u.rfind("https://", 0) == 0 ? 8 : u.rfind("http://", 0) == 0 ? 7 : 0;
  if (!scheme || u.size() == scheme || u.size() > 200 || u.back() == '/') return false;
  for (char c : u)
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\' ||
        c == '?' || c == '#' || static_cast<unsigned char>(c) >= 0x7f)
      return false;
  return true;
}

bool valid_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// An HTTP field name (RFC 9110 token).
bool valid_field_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

template <class T>
std::pair<const std::string, std::function<void(const YAML::Node&)>> num(
    Checker& ck, const common::defaults::Setting& s, T& out) {
  return {std::string(s.key), [&ck, &s, &out](const YAML::Node& v) {
            ck.integer(v, "web." + std::string(s.key), out, s.min, s.max);
          }};
}

std::pair<const std::string, std::function<void(const YAML::Node&)>> secs(
    Checker& ck, const common::defaults::Setting& s, std::chrono::seconds& out) {
  return {std::string(s.key), [&ck, &s, &out](const YAML::Node& v) {
            ck.seconds(v, "web." + std::string(s.key), out, s.min, s.max);
          }};
}

// A list of strings, each checked by `each` (which reports its own errors).
void string_list(Checker& ck, const YAML::Node& v, const std::string& name,
                 const std::function<void(const YAML::Node&, const std::string&)>& each) {
  if (!v.IsSequence()) {
    ck.error(v, name + " must be a list");
    return;
  }
  for (const auto& e : v) {
    std::string s;
    if (ck.string(e, name + " entry", s)) each(e, s);
  }
}

// Listen addresses, as web.listen takes them.
void listen_list(Checker& ck, const YAML::Node& v, const std::string& name,
                 std::vector<Listen>& out) {
  string_list(ck, v, name, [&](const YAML::Node& e, const std::string& s) {
    Listen l;
    if (auto err = parse_listen(s, l); !err.empty())
      ck.error(e, name + " '" + s + "': " + err);
    else
      out.push_back(l);
  });
}

}  // namespace

void web_section(Checker& ck, const YAML::Node& n, Web& out) {
  namespace d = common::defaults;
  ck.map(
      n, "web",
      {{"listen", [&](const YAML::Node& v) { listen_list(ck, v, "web.listen", out.listen); }},
       {"metrics", [&](const YAML::Node& v) { listen_list(ck, v, "web.metrics", out.metrics); }},
       {"base_url",
        [&](const YAML::Node& v) {
          if (ck.string(v, "web.base_url", out.base_url) && !valid_base_url(out.base_url))
            ck.error(v,
                     "web.base_url must be an http:// or https:// URL without a trailing "
                     "'/', query or fragment");
        }},
       {"trusted_proxies",
        [&](const YAML::Node& v) {
          string_list(ck, v, "web.trusted_proxies", [&](const YAML::Node& e, const std::string& s) {
            if (!valid_ip(s))
              ck.error(e, "web.trusted_proxies entry '" + s + "' must be an IPv4 or IPv6 address");
            else
              out.trusted_proxies.push_back(s);
          });
        }},
       {"sso_header",
        [&](const YAML::Node& v) {
          if (ck.string(v, "web.sso_header", out.sso_header) && !valid_field_name(out.sso_header))
            ck.error(v, "web.sso_header must be a header field name like X-Remote-User");
        }},
       secs(ck, d::web_session_lifetime, out.session_lifetime),
       secs(ck, d::web_link_lifetime, out.link_lifetime),
       num(ck, d::web_links_per_address_hour, out.links_per_address_hour),
       num(ck, d::web_links_per_client_hour, out.links_per_client_hour),
       num(ck, d::web_header_size, out.header_size),
       num(ck, d::web_body_size, out.body_size),
       secs(ck, d::web_timeout, out.timeout),
       num(ck, d::web_connections, out.connections),
       num(ck, d::web_page_size, out.page_size),
       {std::string(d::web_request_timeout_ms.key), [&](const YAML::Node& v) {
          std::uint64_t ms = 0;
          if (ck.integer(v, "web.request_timeout_ms", ms, d::web_request_timeout_ms.min,
                         d::web_request_timeout_ms.max))
            out.request_timeout = std::chrono::milliseconds(ms);
        }}});
  for (const auto& m : out.metrics)
    for (const auto& l : out.listen)
      if (m.spec == l.spec)
        ck.error(n, "web.metrics '" + m.spec +
                        "' is also in web.listen: metrics get a listener "
                        "of their own");
  if (!out.sso_header.empty() && out.trusted_proxies.empty())
    ck.error(n, "web.sso_header needs web.trusted_proxies: the header is trusted only from them");
}

}  // namespace config::detail
