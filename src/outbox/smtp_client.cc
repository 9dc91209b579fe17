// smtp_client.cc: the outbox's SMTP dialogue (RFC 5321, 2920, 3207, 4954).
#include "outbox/smtp_client.h"

#include <boost/asio/use_awaitable.hpp>

#include "outbox/smtp_auth.h"
#include "outbox/smtp_conn.h"

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

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

SmtpResult transient(std::string why) {
  return SmtpResult{false, false, std::move(why)};
}

std::string said(const Reply& r) {
  return r.code ? r.last : r.text;
}

// Never lets the password reach a log line or the outbox's last error, even
// when a relay echoes what it got.
std::string scrub(std::string text, const Security& sec) {
  for (const std::string& secret :
       {sec.password, base64(sec.password), sasl_plain(sec.username, sec.password)}) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
      text.replace(at, secret.size(), "[hidden]");
  }
  return text;
}

// EHLO, or HELO when the relay refuses EHLO with a 5xx (no extensions then).
awaitable<Reply> hello(Conn& c, const std::string& helo, Capabilities& caps) {
  co_await c.send("EHLO " + helo + "\r\n");
  Reply r = co_await c.reply();
  caps = r.code == 250 ? parse_ehlo(r.lines) : Capabilities{};
  if (r.code >= 500) {
    co_await c.send("HELO " + helo + "\r\n");
    r = co_await c.reply();
  }
  co_return r;
}

// RFC 3207: STARTTLS, the handshake, and EHLO again (what the relay offered
// in clear counts no more). Nothing else is ever sent in clear.
awaitable<SmtpResult> upgrade(Conn& c, const Relay& relay, const Security& sec,
                              const std::string& helo, Capabilities& caps) {
  std::string where = relay.host + ":" + std::to_string(relay.port);
  if (!caps.starttls)
    co_return transient("STARTTLS required (outbound.tls: starttls) but " + where +
                        " does not offer it; nothing sent in clear");
  co_await c.send("STARTTLS\r\n");
  Reply r = co_await c.reply();
  if (r.code != 220) co_return transient("STARTTLS refused by " + where + ": " + said(r));
  // Anything the relay sent after its 220 was written before the
  // handshake, by it or by someone in between (CVE-2011-0411).
  if (c.buffered())
    co_return transient(where + " sent data after its STARTTLS reply; nothing sent");
  std::string err;
  if (!co_await c.start_tls(sec, relay.host, err)) co_return transient(err);
  r = co_await hello(c, helo, caps);
  if (r.code != 250) co_return transient("EHLO over TLS refused by " + where + ": " + said(r));
  co_return SmtpResult{true, false, ""};
}

// RFC 4954: AUTH PLAIN with an initial response, else AUTH LOGIN.
awaitable<SmtpResult> authenticate(Conn& c, const Relay& relay, const Security& sec,
                                   const Capabilities& caps) {
  std::string where = relay.host + ":" + std::to_string(relay.port);
  if (!c.tls() && !sec.allow_plaintext_auth)
    co_return transient("not sending the password in clear to " + where +
                        " (no TLS, outbound.allow_plaintext_auth is off)");
  std::string mech = caps.auth_plain ? "PLAIN" : caps.auth_login ? "LOGIN" : "";
  if (mech.empty())
    co_return transient(where + " offers neither AUTH PLAIN nor AUTH LOGIN; not sending");
  Reply r;
  if (mech == "PLAIN") {
    co_await c.send("AUTH PLAIN " + sasl_plain(sec.username, sec.password) + "\r\n");
    r = co_await c.reply();
  } else {
    co_await c.send("AUTH LOGIN\r\n");
    r = co_await c.reply();
    if (r.code == 334) {
      co_await c.send(base64(sec.username) + "\r\n");
      r = co_await c.reply();
    }
    if (r.code == 334) {
      co_await c.send(base64(sec.password) + "\r\n");
      r = co_await c.reply();
    }
  }
  if (r.code == 235) co_return SmtpResult{true, false, ""};
  co_return transient("authentication failed as " + sec.username + " at " + where + " (AUTH " +
                      mech + "): " + scrub(said(r), sec));
}

// MAIL, RCPT, DATA (in one write with PIPELINING), the message, QUIT.
awaitable<SmtpResult> transaction(Conn& c, bool pipelining, const std::string& mail_from,
                                  const std::string& rcpt, const std::string& bytes) {
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
      co_return from_reply(*x, false);
    }
  }
  if (dr.code != 354) co_return from_reply(dr, false);
  if (!co_await c.send(smtp_data(bytes))) co_return transient("connection lost while sending data");
  Reply r = co_await c.reply();
  SmtpResult res = from_reply(r, true);
  if (r.code / 100 != 2) res.ok = false;
  co_await c.send("QUIT\r\n");
  co_return res;
}

awaitable<SmtpResult> dialogue(Conn& c, const Relay& relay, const Security& sec,
                               const std::string& helo, const std::string& mail_from,
                               const std::string& rcpt, const std::string& bytes) {
  std::string err;
  if (!co_await c.connect(relay, err)) co_return transient(err);
  using Tls = Security::Tls;
  if (sec.tls == Tls::implicit && !co_await c.start_tls(sec, relay.host, err))
    co_return transient(err);
  Reply r = co_await c.reply();
  if (r.code != 220) co_return from_reply(r, false);
  Capabilities caps;
  r = co_await hello(c, helo, caps);
  if (r.code != 250) co_return from_reply(r, false);
  SmtpResult step{true, false, ""};
  if (sec.tls == Tls::starttls) step = co_await upgrade(c, relay, sec, helo, caps);
  if (step.ok && !sec.username.empty()) step = co_await authenticate(c, relay, sec, caps);
  if (!step.ok) {
    co_await c.send("QUIT\r\n");
    co_return step;
  }
  co_return co_await transaction(c, caps.pipelining, mail_from, rcpt, bytes);
}

}  // namespace

awaitable<SmtpResult> smtp_send(asio::any_io_executor ex, Relay relay, Security security,
                                std::string helo, std::string mail_from, std::string rcpt,
                                std::string bytes, std::chrono::seconds timeout) {
  Conn c(ex, timeout);
  SmtpResult res = co_await dialogue(c, relay, security, helo, mail_from, rcpt, bytes);
  c.close();
  co_return res;
}

}  // namespace outbox
