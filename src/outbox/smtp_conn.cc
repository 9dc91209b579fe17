// smtp_conn.cc: the relay connection, in clear or over TLS.
#include "outbox/smtp_conn.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <istream>

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace outbox {

Conn::Conn(asio::any_io_executor ex, std::chrono::seconds timeout)
    : sock_(ex), timer_(ex), timeout_(timeout) {}

awaitable<bool> Conn::connect(const Relay& r, std::string& err) {
  tcp::resolver res(sock_.get_executor());
  boost::system::error_code ec;
  arm();
  auto eps = co_await res.async_resolve(r.host, std::to_string(r.port),
                                        asio::redirect_error(use_awaitable, ec));
  if (!ec) co_await asio::async_connect(sock_, eps, asio::redirect_error(use_awaitable, ec));
  timer_.cancel();
  // Commands go out as soon as written: Nagle's algorithm would hold a
  // small write until the relay's delayed ACK (40 ms) comes.
  if (!ec) sock_.set_option(tcp::no_delay(true), ec);
  if (ec) {
    err = "connect to " + r.host + ":" + std::to_string(r.port) + ": " +
          (expired_ ? std::string("timed out") : ec.message());
    co_return false;
  }
  co_return true;
}

awaitable<Reply> Conn::reply() {
  Reply r;
  for (;;) {
    boost::system::error_code ec;
    arm();
    if (tls_)
      co_await asio::async_read_until(*tls_stream_, buf_, "\r\n",
                                      asio::redirect_error(use_awaitable, ec));
    else
      co_await asio::async_read_until(sock_, buf_, "\r\n", asio::redirect_error(use_awaitable, ec));
    timer_.cancel();
    if (ec) {
      r.code = 0;
      r.text = expired_ ? "timed out waiting for the relay" : "connection lost: " + ec.message();
      co_return r;
    }
    std::istream is(&buf_);
    std::string line;
    std::getline(is, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0]))) {
      r.code = 0;
      r.text = "malformed reply: " + line.substr(0, 200);
      co_return r;
    }
    r.code = std::stoi(line.substr(0, 3));
    r.text += (r.text.empty() ? "" : " / ") + line.substr(0, 512);
    r.last = line;
    r.lines.push_back(line.size() > 4 ? line.substr(4, 512) : std::string());
    if (line.size() < 4 || line[3] != '-') co_return r;
    if (r.text.size() > 8192) co_return r;
  }
}

awaitable<bool> Conn::send(const std::string& data) {
  boost::system::error_code ec;
  arm();
  if (tls_)
    co_await asio::async_write(*tls_stream_, asio::buffer(data),
                               asio::redirect_error(use_awaitable, ec));
  else
    co_await asio::async_write(sock_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
  timer_.cancel();
  co_return !ec;
}

bool Conn::configure_tls(const Security& sec, const std::string& host, std::string& err) {
  ctx_.emplace(asio::ssl::context::tls_client);
  tls_stream_.emplace(sock_, *ctx_);
  SSL* ssl = tls_stream_->native_handle();
  SSL_set_min_proto_version(ssl, TLS1_2_VERSION);
  boost::system::error_code not_ip;
  asio::ip::make_address(host, not_ip);
  // SNI names a host, never an address (RFC 6066 section 3).
  if (not_ip && !SSL_set_tlsext_host_name(ssl, host.c_str())) {
    err = "cannot set the TLS server name " + host;
    return false;
  }
  if (!sec.verify) {
    tls_stream_->set_verify_mode(asio::ssl::verify_none);
    return true;
  }
  boost::system::error_code ec;
  if (sec.ca_file.empty())
    ctx_->set_default_verify_paths(ec);
  else
    ctx_->load_verify_file(sec.ca_file, ec);
  if (ec) {
    err = "cannot load " + (sec.ca_file.empty() ? "the system's CA certificates" : sec.ca_file) +
          ": " + ec.message();
    return false;
  }
  tls_stream_->set_verify_mode(asio::ssl::verify_peer);
  // OpenSSL checks the name (or address) during the handshake, as part of the chain.
  int ok = not_ip ? SSL_set1_host(ssl, host.c_str())
                  : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  if (ok != 1) {
    err = "cannot set the host name to verify: " + host;
    return false;
  }
  return true;
}

awaitable<bool> Conn::start_tls(const Security& sec, const std::string& host, std::string& err) {
  if (!configure_tls(sec, host, err)) co_return false;
  boost::system::error_code ec;
  arm();
  co_await tls_stream_->async_handshake(asio::ssl::stream_base::client,
                                        asio::redirect_error(use_awaitable, ec));
  timer_.cancel();
  if (!ec) {
    tls_ = true;
    co_return true;
  }
  close();  // nothing more on this connection, not even QUIT
  long v = SSL_get_verify_result(tls_stream_->native_handle());
  if (sec.verify && v != X509_V_OK)
    err = "TLS handshake with " + host +
          ": certificate not trusted: " + X509_verify_cert_error_string(v);
  else
    err = "TLS handshake with " + host +
          " failed: " + (expired_ ? std::string("timed out") : ec.message());
  co_return false;
}

void Conn::close() {
  boost::system::error_code ec;
  sock_.close(ec);
}

void Conn::arm() {
  expired_ = false;
  timer_.expires_after(timeout_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && timer_.expiry() <= asio::steady_timer::clock_type::now()) {
      expired_ = true;
      boost::system::error_code e;
      sock_.close(e);
    }
  });
}

}  // namespace outbox
