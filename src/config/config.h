// config.h: the deskmail.yaml schema, its defaults and its validation.
//
// The file is parsed, validated as a whole (unknown keys, duplicate keys,
// wrong types and out-of-range values are all errors, each naming the file,
// line and column), then frozen into a Config value that the rest of the
// program only reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/defaults.h"

namespace config {

namespace defaults = common::defaults;

/// What to do with a bare CR or LF inside DATA (RFC 5321 section 2.3.8).
enum class BareLf { normalize, reject };

/// One listening endpoint, from "tcp:HOST:PORT" or "unix:/path", or from the
/// mapping { unix: PATH, user: NAME, group: NAME, mode: "0600" }.
struct Listen {
  enum class Kind { tcp, unix_socket } kind = Kind::tcp;
  std::string host;        // tcp: address literal or name
  std::uint16_t port = 0;  // tcp
  std::string path;        // unix
  std::string spec;        // as written; "unix:PATH" for the mapping
  // unix: the socket's owner, group and permissions, like Dovecot's
  // unix_listener. Empty or unset: the daemon's own user and group, and
  // socket_mode.
  std::string user;
  std::string group;
  std::optional<unsigned> mode;
};

/// Every limit a sender can run into. Defaults (common/defaults.h) are
/// documented in deskmail.yaml(5).
struct Limits {
  std::uint64_t message_size = defaults::message_size.value;  // bytes, advertised as SIZE
  std::uint32_t recipients = defaults::recipients.value;      // per transaction; 452 4.5.3
  std::uint32_t connections = defaults::connections.value;    // concurrent; more get 421 4.3.2
  std::uint32_t bad_commands = defaults::bad_commands.value;  // per connection; 421 and close
  std::uint64_t header_size = defaults::header_size.value;    // header block, bytes -> 554 5.6.0
  std::uint32_t header_count = defaults::header_count.value;  // fields per block -> 554 5.6.0
  std::uint64_t line_length = defaults::line_length.value;    // bytes per line -> 554 5.6.0
  std::uint32_t mime_depth = defaults::mime_depth.value;      // nesting -> 554 5.6.0
  std::uint32_t mime_parts = defaults::mime_parts.value;      // parts -> 554 5.6.0
  std::uint32_t header_addresses = defaults::header_addresses.value;  // To/Cc/... -> 554 5.6.0
  std::uint32_t received = defaults::received.value;  // Received: fields -> 554 5.4.6
  std::uint32_t confirmations_per_sender_day =
      defaults::confirmations_per_sender_day.value;  // 0: no limit
  std::uint32_t new_issues_per_sender_hour =
      defaults::new_issues_per_sender_hour.value;  // 0: no limit; over -> 450 4.7.1
  std::uint32_t confirmations_per_hour =
      defaults::confirmations_per_hour.value;  // per desk, to anyone; 0: no limit
  std::uint64_t text_per_message = defaults::text_per_message.value;    // all parts together
  std::uint64_t store_per_message = defaults::store_per_message.value;  // all recipients
};

/// Spam verdicts from the site filter's headers (DESIGN.md section 7).
struct Spam {
  enum class Action { quarantine, reject, accept } action = Action::quarantine;
  double threshold = defaults::spam_threshold;
  bool trust_all = false;            // false: only the topmost instance of each field
  std::vector<std::string> headers;  // empty: all known fields
};

/// Who may speak as the desk (DESIGN.md section 10; desk/identity.h).
struct Authentication {
  std::string authserv_id;  // default: hostname
  enum class Require { dkim_aligned, dmarc, none } require = Require::dkim_aligned;
  std::uint32_t hops = defaults::auth_hops.value;  // the site's MTAs before deskmail
};

struct Timeouts {
  // waiting for a command or data; RFC 5321 4.5.3.2
  std::chrono::seconds idle{defaults::idle.value};
  // longest wait for the database lock
  std::chrono::seconds store_wait{defaults::store_wait.value};
  // SIGTERM: in-flight deliveries get this long
  std::chrono::seconds shutdown{defaults::shutdown.value};
};

/// The outbox: where and how deskmaild sends the mail it writes.
struct Outbound {
  bool enabled = true;  // false: mails stay queued (another host sends)
  std::string relay_host{defaults::relay_host};
  std::uint16_t relay_port = defaults::relay_port;
  std::string from_name = "Support";
  std::chrono::seconds retry_base{defaults::retry_base.value};
  std::chrono::seconds retry_max{defaults::retry_max.value};
  std::chrono::seconds max_age{defaults::max_age.value};
  std::chrono::seconds timeout{defaults::smtp_timeout.value};
  // TLS and the login at the relay (a smarthost): starttls upgrades after
  // EHLO and never goes on in clear; tls is TLS from the first byte (465).
  enum class Tls { none, starttls, tls } tls = Tls::none;
  bool tls_verify = true;  // certificate chain and host name
  std::string ca_file;     // "": the system's CA store
  std::string username;    // "": no AUTH
  std::string password_file;
  std::string password;  // read from password_file at each load; never logged
  bool allow_plaintext_auth = false;
};

/// Commits and merges that close issues (deskmail hook, the forge webhooks).
struct Fixes {
  // commits read from one ref update of a push; older ones are left alone
  std::uint32_t commits_per_push = defaults::commits_per_push.value;
  // issues one commit message (or merge request) may close or mention
  std::uint32_t refs_per_commit = defaults::refs_per_commit.value;
  // largest webhook request body accepted (HTTP 413 above)
  std::uint64_t webhook_body = defaults::webhook_body.value;
};

/// The web desk, deskmail-web (deskmail-web(8)).
struct Web {
  std::vector<Listen> listen;   // empty: deskmail-web refuses to start
  std::vector<Listen> metrics;  // GET /metrics only (OpenMetrics); empty: none
  std::string base_url;         // "https://desk.example.com": links in mail, Secure cookies
  std::vector<std::string> trusted_proxies;  // addresses whose X-Forwarded-For and SSO header count
  std::string sso_header;                    // e.g. X-Remote-User; "": no single sign-on
  std::chrono::seconds session_lifetime{defaults::web_session_lifetime.value};
  std::chrono::seconds link_lifetime{defaults::web_link_lifetime.value};
  std::uint32_t links_per_address_hour = defaults::web_links_per_address_hour.value;
  std::uint32_t links_per_client_hour = defaults::web_links_per_client_hour.value;
  std::uint32_t header_size = defaults::web_header_size.value;
  std::uint64_t body_size = defaults::web_body_size.value;
  std::chrono::seconds timeout{defaults::web_timeout.value};
  std::uint32_t connections = defaults::web_connections.value;
  std::uint32_t page_size = defaults::web_page_size.value;
  // a request's deadline in the store (store::Deadline); past it: 503
  std::chrono::milliseconds request_timeout{defaults::web_request_timeout_ms.value};
  bool secure() const { return base_url.rfind("https://", 0) == 0; }
};

/// Where deskmaild's log lines go (deskmaild(8), LOGGING): stderr (journald
/// under systemd, which takes the facility from the unit's SyslogFacility=)
/// or a syslog socket, like Postfix's maillog.
struct Log {
  enum class To { stderr_stream, syslog } to = To::stderr_stream;
  std::string facility = "mail";          // mail, daemon, user, local0 .. local7
  std::string socket = "/dev/log";        // the syslog datagram socket
  std::string syslog_name = "deskmaild";  // the program name on each line
};

struct Config {
  std::string file;  // where it was loaded from
  std::vector<Listen> listen;
  std::string address;   // base address, e.g. desk@support.example.com
  std::string database;  // SOCI connection string
  // PostgreSQL connections (and store threads) per instance; SQLite: one for deskmaild and the CLI,
  // this many for deskmail-web (one writes).
  std::uint32_t database_connections = defaults::database_connections.value;
  std::string hostname;  // for the greeting; default: gethostname()
  // Large messages while they arrive (unlinked files); "": $TMPDIR or /tmp.
  std::string spool_directory;
  Limits limits;
  Timeouts timeouts;
  BareLf bare_lf = BareLf::normalize;
  unsigned socket_mode = defaults::socket_mode;  // permissions of unix listening sockets
  std::string responder;                         // default --as for `deskmail reply`
  Outbound outbound;
  Spam spam;
  Authentication authentication;
  Fixes fixes;
  Log log;
  Web web;

  /// Local part of `address` before any '+', and the domain.
  std::string base_local() const;
  std::string base_domain() const;
};

/// Thrown by load(); what() holds one "file:line:column: message" per line.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses and validates the YAML file at `path`. Throws config::Error.
Config load(const std::string& path);

/// Same, from text (the file name is only used in messages).
Config load_string(const std::string& text, const std::string& name);

/// The syslog facility number of a name in Log::facility (mail: 2), or -1.
int facility_code(const std::string& name);

/// One line of `deskmail config show`: a setting's full name, its value as
/// the YAML would say it (secrets redacted) and whether it is the default.
struct Shown {
  std::string name;
  std::string value;
  bool is_default = false;
};

/// Every setting of `cfg` in the order of deskmail.yaml(5), like postconf(1).
std::vector<Shown> show(const Config& cfg);

/// The connection string with any password replaced by "*****".
std::string redact(const std::string& connection);

/// Parses "tcp:HOST:PORT" / "unix:/path"; returns an error message or "".
std::string parse_listen(const std::string& spec, Listen& out);

}  // namespace config
