// smtp_client.h: a small SMTP client on Boost.Asio for the outbox: EHLO
// (HELO fallback), PIPELINING where offered, dot-stuffing, CRLF only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>

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

/// Sends one message to one recipient. Never throws for network or protocol
/// trouble: that is a transient failure in the result.
boost::asio::awaitable<SmtpResult> smtp_send(boost::asio::any_io_executor ex, Relay relay,
                                             std::string helo, std::string mail_from,
                                             std::string rcpt, std::string bytes,
                                             std::chrono::seconds timeout);

/// Dot-stuffs and CRLF-normalizes a message and appends the terminator: every
/// bare CR or LF becomes CRLF, every line starting with '.' gets one more.
std::string smtp_data(const std::string& bytes);

}  // namespace outbox
