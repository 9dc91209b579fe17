// smtp_client.h: a small SMTP client on Boost.Asio for the outbox: EHLO
// (HELO fallback), PIPELINING where offered, dot-stuffing, CRLF only;
// STARTTLS (RFC 3207) or implicit TLS (RFC 8314) and AUTH PLAIN/LOGIN
// (RFC 4954) for a smarthost that wants them.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/defaults.h"

namespace outbox {

struct SmtpResult {
  bool ok = false;
  bool permanent = false;  // 5xx: do not retry
  std::string reply;       // the deciding reply line, or the connection error
};

struct Relay {
  std::string host{common::defaults::relay_host};
  std::uint16_t port = common::defaults::relay_port;
};

/// TLS and the login at the relay (outbound.tls ... in deskmail.yaml(5)).
struct Security {
  // starttls: upgrade after EHLO, never continue in clear when the relay does
  // not offer it; implicit: TLS from the first byte (port 465).
  enum class Tls { none, starttls, implicit } tls = Tls::none;
  bool verify = true;                 // certificate chain and host name
  std::string ca_file;                // trust anchors; "": the system's store
  std::string username;               // "": no AUTH
  std::string password;               // never logged
  bool allow_plaintext_auth = false;  // AUTH without TLS
};

/// Sends one message to one recipient. Never throws for network or protocol
/// trouble: that is a transient failure in the result. So is every refusal of
/// TLS or the login (a relay without STARTTLS, an untrusted certificate, 535):
/// the mail waits until the relay or the configuration is fixed.
boost::asio::awaitable<SmtpResult> smtp_send(boost::asio::any_io_executor ex, Relay relay,
                                             Security security, std::string helo,
                                             std::string mail_from, std::string rcpt,
                                             std::string bytes, std::chrono::seconds timeout);

/// One mail of a batch: envelope and content.
struct Envelope {
  std::string mail_from, rcpt, bytes;
};

/// Sends the mails in order over one connection (greeting, EHLO, TLS and
/// login once; RSET after a refused transaction), opening a new connection
/// for the rest when one is lost. `more` is asked before each mail after the
/// first: false stops there. Result i is mail i's; mails not attempted are
/// left out (the result is shorter). Never throws for network or protocol
/// trouble, like smtp_send.
boost::asio::awaitable<std::vector<SmtpResult>> smtp_send_all(
    boost::asio::any_io_executor ex, Relay relay, Security security, std::string helo,
    std::vector<Envelope> mails, std::chrono::seconds timeout, std::function<bool()> more = {});

/// Dot-stuffs and CRLF-normalizes a message and appends the terminator: every
/// bare CR or LF becomes CRLF, every line starting with '.' gets one more.
std::string smtp_data(const std::string& bytes);

}  // namespace outbox
