// settings.cc: the configuration, handed to each part of deskmaild.
#include "server/settings.h"

#include <cstdlib>

namespace server {

std::string spool_dir(const config::Config& c) {
  if (!c.spool_directory.empty()) return c.spool_directory;
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp == '/' ? tmp : "/tmp";
}

lmtp::ServerOptions server_options(const config::Config& c) {
  lmtp::ServerOptions o;
  o.session.message_size = c.limits.message_size;
  o.session.spool_dir = spool_dir(c);
  o.session.recipients = c.limits.recipients;
  o.session.bad_commands = c.limits.bad_commands;
  o.session.bare_lf = c.bare_lf == config::BareLf::reject ? lmtp::BareLfPolicy::reject
                                                          : lmtp::BareLfPolicy::normalize;
  o.max_connections = c.limits.connections;
  o.idle_timeout = c.timeouts.idle;
  o.hostname = c.hostname;
  o.socket_mode = c.socket_mode;
  return o;
}

route::Base route_base(const config::Config& c) {
  return {c.base_local(), c.base_domain(), '+'};
}

namespace {

spam::Policy spam_policy(const config::Spam& s) {
  spam::Policy p;
  p.action = s.action == config::Spam::Action::reject   ? spam::Action::reject
             : s.action == config::Spam::Action::accept ? spam::Action::accept
                                                        : spam::Action::quarantine;
  p.threshold = s.threshold;
  p.trust = s.trust_all ? spam::Trust::all : spam::Trust::topmost;
  p.headers = s.headers;
  return p;
}

}  // namespace

delivery::Policy delivery_policy(const config::Config& c) {
  delivery::Policy p;
  p.scan.header_size = c.limits.header_size;
  p.scan.header_count = c.limits.header_count;
  p.scan.line_length = c.limits.line_length;
  p.scan.mime_depth = c.limits.mime_depth;
  p.scan.mime_parts = c.limits.mime_parts;
  p.scan.header_addresses = c.limits.header_addresses;
  p.scan.received = c.limits.received;
  p.spam = spam_policy(c.spam);
  p.new_issues_per_sender_hour = c.limits.new_issues_per_sender_hour;
  p.confirmations_per_sender_day = c.limits.confirmations_per_sender_day;
  p.confirmations_per_hour = c.limits.confirmations_per_hour;
  p.text_per_message = c.limits.text_per_message;
  p.store_per_message = c.limits.store_per_message;
  p.auth.authserv_id = c.authentication.authserv_id;
  p.auth.hops = static_cast<int>(c.authentication.hops);
  using R = config::Authentication::Require;
  p.auth.require = c.authentication.require == R::none    ? desk::Require::none
                   : c.authentication.require == R::dmarc ? desk::Require::dmarc
                                                          : desk::Require::dkim_aligned;
  p.spool_dir = spool_dir(c);
  // The store's own waits (lock, statement, connect) end after store_wait;
  // a session gives up on a store that hangs past twice that.
  p.store_deadline =
      2 * std::chrono::duration_cast<std::chrono::milliseconds>(c.timeouts.store_wait) +
      std::chrono::seconds(2);
  return p;
}

outbox::Options outbox_options(const config::Config& c) {
  outbox::Options o;
  o.relay = {c.outbound.relay_host, c.outbound.relay_port};
  using Tls = config::Outbound::Tls;
  o.security.tls = c.outbound.tls == Tls::starttls ? outbox::Security::Tls::starttls
                   : c.outbound.tls == Tls::tls    ? outbox::Security::Tls::implicit
                                                   : outbox::Security::Tls::none;
  o.security.verify = c.outbound.tls_verify;
  o.security.ca_file = c.outbound.ca_file;
  o.security.username = c.outbound.username;
  o.security.password = c.outbound.password;  // read by config::load, at start and on SIGHUP
  o.security.allow_plaintext_auth = c.outbound.allow_plaintext_auth;
  o.helo = c.hostname;
  o.retry_base = c.outbound.retry_base;
  o.retry_max = c.outbound.retry_max;
  o.max_age = c.outbound.max_age;
  o.timeout = c.outbound.timeout;
  o.owner = instance_name(c);
  return o;
}

// Stable across restarts and unique among instances sharing a database
// (two instances on one host listen on different addresses).
std::string instance_name(const config::Config& c) {
  return c.hostname + " " + (c.listen.empty() ? std::string() : c.listen.front().spec);
}

}  // namespace server
