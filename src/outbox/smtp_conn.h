// smtp_conn.h: one connection to the relay, in clear or over TLS (OpenSSL
// through Asio's SSL stream), with a timeout on every step. The dialogue is
// in smtp_client.cc; this file only moves lines and shakes hands.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "outbox/smtp_client.h"

namespace outbox {

/// One SMTP reply, possibly of several lines.
struct Reply {
  int code = 0;                    // 0: no reply (connection lost, timeout, garbage)
  std::string text;                // all lines joined by " / ", or what went wrong
  std::string last;                // the last line as sent
  std::vector<std::string> lines;  // each line's text after "250-" / "250 "
};

class Conn {
 public:
  Conn(boost::asio::any_io_executor ex, std::chrono::seconds timeout);

  boost::asio::awaitable<bool> connect(const Relay& r, std::string& err);
  boost::asio::awaitable<Reply> reply();
  boost::asio::awaitable<bool> send(const std::string& data);
  /// The TLS handshake as a client of `host`: the chain checked against
  /// sec.ca_file or the system's store and the name against the certificate
  /// unless sec.verify is off; SNI set for a host name. On failure `err` says
  /// why, naming the certificate problem when there is one.
  boost::asio::awaitable<bool> start_tls(const Security& sec, const std::string& host,
                                         std::string& err);
  bool tls() const { return tls_; }
  /// Bytes received and not yet read as a reply.
  std::size_t buffered() const { return buf_.size(); }
  void close();

 private:
  void arm();
  bool configure_tls(const Security& sec, const std::string& host, std::string& err);

  boost::asio::ip::tcp::socket sock_;
  // Made by start_tls only: an OpenSSL context costs about half a
  // millisecond of CPU, paid once per batch on a relay in clear (issue 24).
  std::optional<boost::asio::ssl::context> ctx_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_stream_;
  boost::asio::steady_timer timer_;
  std::chrono::seconds timeout_;
  boost::asio::streambuf buf_{65536};
  bool expired_ = false;
  bool tls_ = false;
};

}  // namespace outbox
