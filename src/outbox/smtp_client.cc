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

// What one transaction came to, and whether the connection may carry the next.
struct Outcome {
  SmtpResult result;
  bool reusable = false;
};

// A refused MAIL or RCPT: RSET ends the transaction and keeps the connection
// (RFC 5321 4.1.1.5), unless a pipelined DATA got 354 anyway: then anything
// we sent would be message data, so the connection is dropped.
awaitable<Outcome> refused(Conn& c, const Reply& why, const Reply& data) {
  Outcome o{from_reply(why, false), false};
  if (why.code == 0 || data.code == 354 || data.code == 0) co_return o;
  if (!co_await c.send("RSET\r\n")) co_return o;
  o.reusable = (co_await c.reply()).code == 250;
  co_return o;
}

// MAIL, RCPT, DATA (in one write with PIPELINING) and the message.
awaitable<Outcome> transaction(Conn& c, bool pipelining, const Envelope& m) {
  std::string mail = "MAIL FROM:<" + m.mail_from + ">\r\n";
  std::string rcpt_cmd = "RCPT TO:<" + m.rcpt + ">\r\n";
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
    // Unpipelined, DATA was never sent after a refusal: RSET is safe.
    if (dr.code == 0 && mr.code && (mr.code != 250 || rr.code)) dr.code = 503;
  }
  for (const Reply* x : {&mr, &rr})
    if (x->code / 100 != 2) co_return co_await refused(c, *x, dr);
  if (dr.code != 354) {
    Reply no_data;
    no_data.code = 503;
    co_return co_await refused(c, dr, no_data);
  }
  if (!co_await c.send(smtp_data(m.bytes)))
    co_return Outcome{transient("connection lost while sending data"), false};
  Reply r = co_await c.reply();
  Outcome o{from_reply(r, true), r.code != 0};
  if (r.code / 100 != 2) o.result.ok = false;
  co_return o;
}

// Greeting, EHLO, STARTTLS and AUTH as configured: ok when mail may follow.
awaitable<SmtpResult> open(Conn& c, const Relay& relay, const Security& sec,
                           const std::string& helo, Capabilities& caps) {
  std::string err;
  if (!co_await c.connect(relay, err)) co_return transient(err);
  using Tls = Security::Tls;
  if (sec.tls == Tls::implicit && !co_await c.start_tls(sec, relay.host, err))
    co_return transient(err);
  Reply r = co_await c.reply();
  if (r.code != 220) co_return from_reply(r, false);
  r = co_await hello(c, helo, caps);
  if (r.code != 250) co_return from_reply(r, false);
  SmtpResult step{true, false, ""};
  if (sec.tls == Tls::starttls) step = co_await upgrade(c, relay, sec, helo, caps);
  if (step.ok && !sec.username.empty()) step = co_await authenticate(c, relay, sec, caps);
  if (!step.ok) co_await c.send("QUIT\r\n");
  co_return step;
}

}  // namespace

awaitable<std::vector<SmtpResult>> smtp_send_all(asio::any_io_executor ex, Relay relay,
                                                 Security security, std::string helo,
                                                 std::vector<Envelope> mails,
                                                 std::chrono::seconds timeout,
                                                 std::function<bool()> more) {
  std::vector<SmtpResult> out;
  // Each pass opens a connection and sends until it is lost: at least one
  // mail gets its result per pass, so there are at most mails.size() passes.
  while (out.size() < mails.size()) {
    if (!out.empty() && more && !more()) break;
    Conn c(ex, timeout);
    Capabilities caps;
    SmtpResult opened = co_await open(c, relay, security, helo, caps);
    if (!opened.ok) {
      // What each mail would have been told on a connection of its own.
      out.resize(mails.size(), opened);
      c.close();
      break;
    }
    bool usable = true;
    while (usable && out.size() < mails.size()) {
      if (!out.empty() && more && !more()) break;
      Outcome o = co_await transaction(c, caps.pipelining, mails[out.size()]);
      out.push_back(std::move(o.result));
      usable = o.reusable;
    }
    if (usable) co_await c.send("QUIT\r\n");
    c.close();
    if (usable) break;  // stopped by `more`, or done
  }
  co_return out;
}

awaitable<SmtpResult> smtp_send(asio::any_io_executor ex, Relay relay, Security security,
                                std::string helo, std::string mail_from, std::string rcpt,
                                std::string bytes, std::chrono::seconds timeout) {
  std::vector<Envelope> one{{std::move(mail_from), std::move(rcpt), std::move(bytes)}};
  auto r = co_await smtp_send_all(std::move(ex), std::move(relay), std::move(security),
                                  std::move(helo), std::move(one), timeout);
  co_return r.at(0);
}

}  // namespace outbox
