// smtp_client.cc: the outbox's SMTP client (RFC 5321, RFC 2920).
#include "outbox/smtp_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <istream>

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace outbox {

std::string smtp_data(const std::string& in) {
  std::string out;
  out.reserve(in.size() + in.size() / 50 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (line_start && c == '.') out += '.';
    line_start = false;
    if (c == '\r' || c == '\n') {
      out += "\r\n";
      if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
      line_start = true;
      continue;
    }
    out += c;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

namespace {

struct Reply {
  int code = 0;
  std::string text;  // all lines joined by " / "
  std::string last;  // the last line as sent
};

class Conn {
 public:
  Conn(asio::any_io_executor ex, std::chrono::seconds timeout)
      : sock_(ex), timer_(ex), timeout_(timeout) {}

  awaitable<bool> connect(const Relay& r, std::string& err) {
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

  awaitable<Reply> reply() {
    Reply r;
    for (;;) {
      boost::system::error_code ec;
      arm();
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
      if (line.size() < 4 || line[3] != '-') co_return r;
      if (r.text.size() > 8192) co_return r;
    }
  }

  awaitable<bool> send(const std::string& data) {
    boost::system::error_code ec;
    arm();
    co_await asio::async_write(sock_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
    timer_.cancel();
    co_return !ec;
  }

  void close() {
    boost::system::error_code ec;
    sock_.close(ec);
  }

 private:
  void arm() {
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

  tcp::socket sock_;
  asio::steady_timer timer_;
  std::chrono::seconds timeout_;
  asio::streambuf buf_{65536};
  bool expired_ = false;
};

SmtpResult from_reply(const Reply& r, bool expect_ok) {
  SmtpResult s;
  s.reply = r.code ? r.last : r.text;
  if (r.code == 0) return s;  // transient
  if (expect_ok && r.code >= 200 && r.code < 400) {
    s.ok = true;
    return s;
  }
  s.permanent = r.code >= 500;
  return s;
}

}  // namespace

awaitable<SmtpResult> smtp_send(asio::any_io_executor ex, Relay relay, std::string helo,
                                std::string mail_from, std::string rcpt, std::string bytes,
                                std::chrono::seconds timeout) {
  Conn c(ex, timeout);
  std::string err;
  if (!co_await c.connect(relay, err)) co_return SmtpResult{false, false, err};
  Reply r = co_await c.reply();
  if (r.code != 220) {
    c.close();
    co_return from_reply(r, false);
  }
  co_await c.send("EHLO " + helo + "\r\n");
  r = co_await c.reply();
  bool pipelining = false;
  if (r.code == 250) {
    pipelining = r.text.find("PIPELINING") != std::string::npos;
  } else if (r.code >= 500) {
    co_await c.send("HELO " + helo + "\r\n");
    r = co_await c.reply();
  }
  if (r.code != 250) {
    c.close();
    co_return from_reply(r, false);
  }
  std::string mail = "MAIL FROM:<" + mail_from + ">\r\n";
  std::string rcpt_cmd = "RCPT TO:<" + rcpt + ">\r\n";
  Reply mr, rr, dr;
  if (pipelining) {
    // RFC 2920: MAIL, RCPT and DATA in one write, then their three replies.
    co_await c.send(mail + rcpt_cmd + "DATA\r\n");
    mr = co_await c.reply();
    rr = co_await c.reply();
    dr = co_await c.reply();
  } else {
    co_await c.send(mail);
    mr = co_await c.reply();
    if (mr.code == 250) {
      co_await c.send(rcpt_cmd);
      rr = co_await c.reply();
      if (rr.code / 100 == 2) {
        co_await c.send("DATA\r\n");
        dr = co_await c.reply();
      }
    }
  }
  for (const Reply* x : {&mr, &rr}) {
    if (x->code / 100 != 2) {
      // A pipelined DATA that got 354 anyway: dropping the connection aborts
      // the transaction; anything we sent now would be message data.
      if (dr.code != 354) co_await c.send("QUIT\r\n");
      c.close();
      co_return from_reply(*x, false);
    }
  }
  if (dr.code != 354) {
    c.close();
    co_return from_reply(dr, false);
  }
  if (!co_await c.send(smtp_data(bytes))) {
    c.close();
    co_return SmtpResult{false, false, "connection lost while sending data"};
  }
  r = co_await c.reply();
  SmtpResult res = from_reply(r, true);
  if (r.code / 100 != 2) res.ok = false;
  co_await c.send("QUIT\r\n");
  c.close();
  co_return res;
}

}  // namespace outbox
