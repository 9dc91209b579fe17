// config.cc: deskmail.yaml loader. yaml-cpp 0.7 accepts duplicate keys and its
// conversion errors carry no position, so every value is checked here by hand.
#include "config/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "config/checker.h"
#include "config/outbound.h"

namespace config {

namespace {

using detail::Checker;

bool valid_address(const std::string& a) {
  auto at = a.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == a.size()) return false;
  if (a.substr(0, at).find('+') != std::string::npos) return false;
  for (char c : a)
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == '"') return false;
  return true;
}

using Handler = std::function<void(const YAML::Node&)>;
using Keys = std::map<std::string, Handler>;

std::string full_name(const defaults::Setting& s) {
  return s.section.empty() ? std::string(s.key) : std::string(s.section) + "." + std::string(s.key);
}

// The entry of a mapping for one numeric setting: its key, and a handler that
// checks the value against the setting's range (common/defaults.h).
template <class T>
Keys::value_type number(Checker& ck, const defaults::Setting& s, T& out) {
  return {std::string(s.key),
          [&ck, &s, &out](const YAML::Node& v) { ck.integer(v, full_name(s), out, s.min, s.max); }};
}

Keys::value_type number(Checker& ck, const defaults::Setting& s, std::chrono::seconds& out) {
  return {std::string(s.key),
          [&ck, &s, &out](const YAML::Node& v) { ck.seconds(v, full_name(s), out, s.min, s.max); }};
}

// The entry of a mapping for a string setting that `set` checks and stores;
// set returns "" or what is wrong, said after the key's full name.
Keys::value_type string_key(Checker& ck, const std::string& name,
                            std::function<std::string(const std::string&)> set) {
  return {name.substr(name.find('.') + 1), [&ck, name, set](const YAML::Node& v) {
            std::string s;
            if (!ck.string(v, name, s)) return;
            if (auto err = set(s); !err.empty()) ck.error(v, name + " " + err);
          }};
}

// An octal permission string like "0660"; false if it is not one.
bool parse_mode(const std::string& s, unsigned& out) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 8);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > 0777) return false;
  out = v;
  return true;
}

// A user or group name as useradd(8) accepts it (Debian-exim, postfix, _rspamd).
bool valid_account(const std::string& name) {
  if (name.empty() || name.size() > 32 || name[0] == '-') return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

// The mapping form of a listen entry, Dovecot's unix_listener:
// { unix: PATH, user: NAME, group: NAME, mode: "0600" }.
void listen_mapping(Checker& ck, const YAML::Node& e, std::vector<Listen>& out) {
  Listen where;  // parse_listen starts its Listen over: the path goes in last
  bool have_unix = false, usable = true;
  std::string user, group;
  std::optional<unsigned> mode;
  auto account = [&](const char* key, std::string& name) {
    return [&ck, &usable, &name, key](const YAML::Node& v) {
      const std::string what = std::string("listen ") + key;
      if (!ck.string(v, what, name) || !valid_account(name)) {
        if (v.IsScalar()) ck.error(v, what + " must be a " + key + " name like postfix");
        usable = false;
      }
    };
  };
  ck.map(e, "listen entry",
         {{"unix",
           [&](const YAML::Node& v) {
             std::string path;
             have_unix = true;
             if (!ck.string(v, "listen unix", path)) {
               usable = false;
               return;
             }
             if (auto err = parse_listen("unix:" + path, where); !err.empty()) {
               ck.error(v, "listen unix '" + path + "': " + err);
               usable = false;
             }
           }},
          {"user", account("user", user)},
          {"group", account("group", group)},
          {"mode", [&](const YAML::Node& v) {
             std::string s;
             unsigned m = 0;
             if (ck.string(v, "listen mode", s) && parse_mode(s, m))
               mode = m;
             else if (v.IsScalar())
               ck.error(v, "listen mode must be an octal mode like \"0600\"");
           }}});
  if (!have_unix)
    ck.error(e, "a listen mapping needs unix: PATH (TCP is written \"tcp:HOST:PORT\")");
  if (!have_unix || !usable) return;
  where.user = user;
  where.group = group;
  where.mode = mode;
  out.push_back(where);
}

// One `listen:` entry, either form.
void listen_entry(Checker& ck, const YAML::Node& e, std::vector<Listen>& out) {
  if (e.IsMap()) return listen_mapping(ck, e, out);
  if (!e.IsScalar()) {
    ck.error(e,
             "listen entry must be a string like \"unix:/run/deskmail/lmtp.sock\" or a "
             "mapping like { unix: PATH, user: postfix, group: postfix, mode: \"0600\" }");
    return;
  }
  const std::string& s = e.Scalar();
  Listen l;
  if (auto err = parse_listen(s, l); !err.empty())
    ck.error(e, "listen '" + s + "': " + err);
  else
    out.push_back(l);
}

}  // namespace

std::string Config::base_local() const {
  return address.substr(0, address.rfind('@'));
}
std::string Config::base_domain() const {
  return address.substr(address.rfind('@') + 1);
}

std::string parse_listen(const std::string& spec, Listen& out) {
  out = Listen{};
  out.spec = spec;
  if (spec.rfind("unix:", 0) == 0) {
    out.kind = Listen::Kind::unix_socket;
    out.path = spec.substr(5);
    if (out.path.empty() || out.path[0] != '/') return "unix socket path must be absolute";
    if (out.path.size() >= 108) return "unix socket path is longer than 107 bytes";
    return "";
  }
  if (spec.rfind("tcp:", 0) == 0) {
    out.kind = Listen::Kind::tcp;
    std::string rest = spec.substr(4);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos) return "tcp listen needs HOST:PORT";
    out.host = rest.substr(0, colon);
    if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
      out.host = out.host.substr(1, out.host.size() - 2);
    std::string port = rest.substr(colon + 1);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535)
      return "invalid port '" + port + "'";
    if (out.host.empty()) return "tcp listen needs a host (use 0.0.0.0 or [::] for all)";
    out.port = static_cast<std::uint16_t>(v);
    return "";
  }
  return "listen entries start with tcp: or unix:";
}

Config load_string(const std::string& text, const std::string& name) {
  Checker ck(name);
  Config cfg;
  cfg.file = name;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << name << ":" << (e.mark.line + 1) << ":" << (e.mark.column + 1) << ": " << e.msg;
    throw Error(os.str());
  }
  if (!root.IsDefined() || root.IsNull()) throw Error(name + ":1:1: the file is empty");

  bool have_address = false, have_database = false, have_listen = false;
  ck.map(
      root, "the top level",
      {
          {"listen",
           [&](const YAML::Node& n) {
             have_listen = true;
             if (!n.IsSequence() || n.size() == 0) {
               ck.error(n, "listen must be a non-empty list like [\"tcp:127.0.0.1:2424\"]");
               return;
             }
             for (const auto& e : n) listen_entry(ck, e, cfg.listen);
           }},
          {"address",
           [&](const YAML::Node& n) {
             if (!ck.string(n, "address", cfg.address)) return;
             have_address = true;
             if (!valid_address(cfg.address))
               ck.error(n, "address must look like desk@support.example.com (no '+')");
           }},
          {"database",
           [&](const YAML::Node& n) {
             if (!ck.string(n, "database", cfg.database)) return;
             have_database = true;
             if (cfg.database.rfind("sqlite3://", 0) != 0 &&
                 cfg.database.rfind("postgresql://", 0) != 0)
               ck.error(n, "database must start with sqlite3:// or postgresql://");
           }},
          number(ck, defaults::database_connections, cfg.database_connections),
          {"hostname", [&](const YAML::Node& n) { ck.string(n, "hostname", cfg.hostname); }},
          {"spool_directory",
           [&](const YAML::Node& n) {
             if (!ck.string(n, "spool_directory", cfg.spool_directory)) return;
             if (cfg.spool_directory.empty() || cfg.spool_directory[0] != '/')
               ck.error(n, "spool_directory must be an absolute path");
           }},
          {"responder", [&](const YAML::Node& n) { ck.string(n, "responder", cfg.responder); }},
          {"bare_lf",
           [&](const YAML::Node& n) {
             std::string s;
             if (!ck.string(n, "bare_lf", s)) return;
             if (s == "normalize")
               cfg.bare_lf = BareLf::normalize;
             else if (s == "reject")
               cfg.bare_lf = BareLf::reject;
             else
               ck.error(n, "bare_lf must be normalize or reject");
           }},
          {"socket_mode",
           [&](const YAML::Node& n) {
             std::string s;
             if (!ck.string(n, "socket_mode", s)) return;
             if (!parse_mode(s, cfg.socket_mode))
               ck.error(n, "socket_mode must be an octal mode like \"0660\"");
           }},
          {"limits",
           [&](const YAML::Node& n) {
             auto& l = cfg.limits;
             ck.map(n, "limits",
                    {number(ck, defaults::message_size, l.message_size),
                     number(ck, defaults::recipients, l.recipients),
                     number(ck, defaults::connections, l.connections),
                     number(ck, defaults::bad_commands, l.bad_commands),
                     number(ck, defaults::header_size, l.header_size),
                     number(ck, defaults::header_count, l.header_count),
                     number(ck, defaults::line_length, l.line_length),
                     number(ck, defaults::mime_depth, l.mime_depth),
                     number(ck, defaults::mime_parts, l.mime_parts),
                     number(ck, defaults::header_addresses, l.header_addresses),
                     number(ck, defaults::received, l.received),
                     number(ck, defaults::confirmations_per_sender_day,
                            l.confirmations_per_sender_day),
                     number(ck, defaults::new_issues_per_sender_hour, l.new_issues_per_sender_hour),
                     number(ck, defaults::confirmations_per_hour, l.confirmations_per_hour),
                     number(ck, defaults::text_per_message, l.text_per_message),
                     number(ck, defaults::store_per_message, l.store_per_message)});
           }},
          {"authentication",
           [&](const YAML::Node& n) {
             ck.map(n, "authentication",
                    {{"authserv_id",
                      [&](const YAML::Node& v) {
                        ck.string(v, "authentication.authserv_id", cfg.authentication.authserv_id);
                      }},
                     {"require",
                      [&](const YAML::Node& v) {
                        std::string r;
                        if (!ck.string(v, "authentication.require", r)) return;
                        if (r == "dkim_aligned")
                          cfg.authentication.require = Authentication::Require::dkim_aligned;
                        else if (r == "dmarc")
                          cfg.authentication.require = Authentication::Require::dmarc;
                        else if (r == "none")
                          cfg.authentication.require = Authentication::Require::none;
                        else
                          ck.error(v, "authentication.require must be dkim_aligned, dmarc or none");
                      }},
                     number(ck, defaults::auth_hops, cfg.authentication.hops)});
           }},
          {"outbound",
           [&](const YAML::Node& n) {
             Outbound& o = cfg.outbound;
             ck.map(
                 n, "outbound",
                 {{"enabled",
                   [&](const YAML::Node& v) {
                     std::string b;
                     if (!ck.string(v, "outbound.enabled", b)) return;
                     if (b == "true" || b == "yes" || b == "on")
                       cfg.outbound.enabled = true;
                     else if (b == "false" || b == "no" || b == "off")
                       cfg.outbound.enabled = false;
                     else
                       ck.error(v, "outbound.enabled must be true or false");
                   }},
                  {"relay",
                   [&](const YAML::Node& v) {
                     std::string r;
                     if (!ck.string(v, "outbound.relay", r)) return;
                     Listen l;
                     if (!parse_listen("tcp:" + r, l).empty())
                       ck.error(v, "outbound.relay must be HOST:PORT, like 127.0.0.1:25");
                     else {
                       cfg.outbound.relay_host = l.host;
                       cfg.outbound.relay_port = l.port;
                     }
                   }},
                  {"from_name",
                   [&](const YAML::Node& v) {
                     ck.string(v, "outbound.from_name", cfg.outbound.from_name);
                   }},
                  number(ck, defaults::retry_base, cfg.outbound.retry_base),
                  number(ck, defaults::retry_max, cfg.outbound.retry_max),
                  number(ck, defaults::max_age, cfg.outbound.max_age),
                  number(ck, defaults::smtp_timeout, cfg.outbound.timeout),
                  string_key(ck, "outbound.tls",
                             [&](const std::string& s) { return parse_tls(s, o.tls); }),
                  string_key(ck, "outbound.tls_verify",
                             [&](const std::string& s) { return parse_on_off(s, o.tls_verify); }),
                  string_key(ck, "outbound.ca_file",
                             [&](const std::string& s) { return readable_file(s, o.ca_file); }),
                  string_key(ck, "outbound.username",
                             [&](const std::string& s) { return parse_username(s, o.username); }),
                  string_key(ck, "outbound.password_file",
                             [&](const std::string& s) {
                               o.password_file = s;
                               return read_secret_file(s, o.password);
                             }),
                  string_key(ck, "outbound.allow_plaintext_auth", [&](const std::string& s) {
                    return parse_on_off(s, o.allow_plaintext_auth);
                  })});
             if (auto err = check_outbound(o); !err.empty()) ck.error(n, err);
           }},
          {"spam",
           [&](const YAML::Node& n) {
             ck.map(n, "spam",
                    {{"action",
                      [&](const YAML::Node& v) {
                        std::string a;
                        if (!ck.string(v, "spam.action", a)) return;
                        if (a == "quarantine")
                          cfg.spam.action = Spam::Action::quarantine;
                        else if (a == "reject")
                          cfg.spam.action = Spam::Action::reject;
                        else if (a == "accept")
                          cfg.spam.action = Spam::Action::accept;
                        else
                          ck.error(v, "spam.action must be quarantine, reject or accept");
                      }},
                     {"threshold",
                      [&](const YAML::Node& v) {
                        std::string t;
                        if (!ck.string(v, "spam.threshold", t)) return;
                        char* end = nullptr;
                        double d = std::strtod(t.c_str(), &end);
                        if (t.empty() || *end != '\0' || d != d || d < -1000 || d > 1000)
                          ck.error(v, "spam.threshold must be a number like 5.0");
                        else
                          cfg.spam.threshold = d;
                      }},
                     {"trust",
                      [&](const YAML::Node& v) {
                        std::string t;
                        if (!ck.string(v, "spam.trust", t)) return;
                        if (t == "topmost")
                          cfg.spam.trust_all = false;
                        else if (t == "all")
                          cfg.spam.trust_all = true;
                        else
                          ck.error(v, "spam.trust must be topmost or all");
                      }},
                     {"headers", [&](const YAML::Node& v) {
                        if (!v.IsSequence()) {
                          ck.error(v, "spam.headers must be a list of header names");
                          return;
                        }
                        for (const auto& h : v) {
                          std::string name;
                          if (ck.string(h, "spam.headers entry", name))
                            cfg.spam.headers.push_back(name);
                        }
                      }}});
           }},
          {"log", [&](const YAML::Node& n) { detail::log_section(ck, n, cfg.log); }},
          {"web", [&](const YAML::Node& n) { detail::web_section(ck, n, cfg.web); }},
          {"timeouts",
           [&](const YAML::Node& n) {
             auto& t = cfg.timeouts;
             ck.map(n, "timeouts",
                    {number(ck, defaults::idle, t.idle),
                     number(ck, defaults::store_wait, t.store_wait),
                     number(ck, defaults::shutdown, t.shutdown)});
           }},
          {"fixes",
           [&](const YAML::Node& n) {
             auto& f = cfg.fixes;
             ck.map(n, "fixes",
                    {number(ck, defaults::commits_per_push, f.commits_per_push),
                     number(ck, defaults::refs_per_commit, f.refs_per_commit),
                     number(ck, defaults::webhook_body, f.webhook_body)});
           }},
      });
  if (root.IsMap()) {
    if (!have_address) ck.error(root, "missing required key 'address'");
    if (!have_database) ck.error(root, "missing required key 'database'");
    if (!have_listen) ck.error(root, "missing required key 'listen'");
  }
  if (!ck.ok()) throw Error(ck.joined());
  if (cfg.hostname.empty()) {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) == 0 && buf[0])
      cfg.hostname = buf;
    else
      cfg.hostname = "localhost";
  }
  if (cfg.authentication.authserv_id.empty()) cfg.authentication.authserv_id = cfg.hostname;
  return cfg;
}

Config load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path);
}

}  // namespace config
