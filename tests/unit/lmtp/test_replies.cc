// The LMTP layer's reply table (lmtp/replies.h): every reply the session and
// the server write by themselves, listed with its wire form. A reply added
// to the table must be added here; one written by hand in session.cc or
// server.cc has no Event and does not pass review.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "lmtp/replies.h"
#include "lmtp/session.h"

using lmtp::Event;

TEST_CASE("lmtp: the reply table lists every reply, host and detail in place") {
  struct Row {
    Event e;
    const char* wire;
  };
  const std::vector<Row> rows{
      {Event::greeting, "220 mx LMTP deskmail ready\r\n"},
      {Event::closing, "221 2.0.0 mx closing connection\r\n"},
      {Event::too_many_connections, "421 4.3.2 mx too many connections, try again later\r\n"},
      {Event::shutting_down, "421 4.3.2 mx shutting down\r\n"},
      {Event::store_unavailable, "421 4.3.0 mx mail store unavailable, try again later\r\n"},
      {Event::idle_timeout, "421 4.4.2 mx timeout, closing connection\r\n"},
      {Event::too_many_errors, "421 4.7.0 mx too many errors, closing connection\r\n"},
      {Event::spool_unreadable, "451 4.3.0 Cannot read the spooled message, try again later\r\n"},
      {Event::spool_failed, "451 4.3.0 Cannot spool the message, try again later\r\n"},
      {Event::reply_missing, "451 4.3.0 Temporary internal error\r\n"},
      {Event::ok, "250 2.0.0 Ok\r\n"},
      {Event::sender_ok, "250 2.1.0 Ok\r\n"},
      {Event::cannot_vrfy, "252 2.5.2 Cannot VRFY; send some mail\r\n"},
      {Event::start_data, "354 Start mail input; end with <CRLF>.<CRLF>\r\n"},
      {Event::too_many_recipients, "452 4.5.3 Too many recipients\r\n"},
      {Event::unrecognized, "500 5.5.2 Command unrecognized\r\n"},
      {Event::line_too_long, "500 5.5.2 Line too long\r\n"},
      {Event::invalid_character, "500 5.5.2 Syntax error: invalid character\r\n"},
      {Event::use_lhlo, "500 5.5.1 This is an LMTP server: use LHLO (RFC 2033)\r\n"},
      {Event::lhlo_syntax, "501 5.5.4 Syntax: LHLO hostname\r\n"},
      {Event::mail_syntax, "501 5.5.4 Syntax: MAIL FROM:<address> [parameters]\r\n"},
      {Event::rcpt_syntax, "501 5.5.4 Syntax: RCPT TO:<address>\r\n"},
      {Event::data_syntax, "501 5.5.4 DATA takes no arguments\r\n"},
      {Event::bad_size, "501 5.5.4 Invalid SIZE parameter\r\n"},
      {Event::bad_body, "501 5.5.4 Invalid BODY parameter\r\n"},
      {Event::not_offered, "502 5.5.1 Command not offered by this server\r\n"},
      {Event::lhlo_first, "503 5.5.1 Send LHLO first\r\n"},
      {Event::nested_mail, "503 5.5.1 Nested MAIL command\r\n"},
      {Event::need_mail, "503 5.5.1 Need MAIL command first\r\n"},
      {Event::no_recipients, "503 5.5.1 No valid recipients\r\n"},
      {Event::too_big, "552 5.3.4 Message size exceeds fixed maximum message size\r\n"},
      {Event::bare_line_end, "554 5.6.0 Message contains bare CR or LF (RFC 5321 2.3.8)\r\n"},
      {Event::unsupported_param, "555 5.5.4 Unsupported parameter\r\n"},
  };
  REQUIRE(rows.size() == static_cast<std::size_t>(lmtp::kEvents));
  std::set<int> seen;
  for (const auto& r : rows) {
    CAPTURE(r.wire);
    CHECK(seen.insert(static_cast<int>(r.e)).second);  // each Event once
    CHECK(lmtp::reply_for(r.e, "mx").wire() == r.wire);
  }
  CHECK(lmtp::reply_for(Event::unsupported_param, "mx", "AUTH").wire() ==
        "555 5.5.4 Unsupported parameter AUTH\r\n");
  // A host name with a line break cannot end a reply early.
  CHECK(lmtp::reply_for(Event::closing, "a\r\n250 b").wire() ==
        "221 2.0.0 a  250 b closing connection\r\n");
}

TEST_CASE("lmtp: the LHLO reply: the host, the extensions of DESIGN.md, SIZE last") {
  CHECK(lmtp::lhlo_reply("mx.test", 1000) ==
        "250-mx.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
        "250-SMTPUTF8\r\n250 SIZE 1000\r\n");
  CHECK(lmtp::lhlo_reply("a\r\n250 b", 1).rfind("250-a  250 b\r\n250-PIPELINING\r\n", 0) == 0);
}

// The session writes the table's lines: a dialogue through the commands
// whose replies moved into the table.
TEST_CASE("lmtp: the session's replies are the table's") {
  lmtp::SessionLimits limits;
  limits.message_size = 100;
  lmtp::Session s(limits, "mx");
  auto say = [&](const std::string& line) {
    s.output().clear();
    s.receive(line);
    s.next();
    return s.output();
  };
  CHECK(say("EHLO x\r\n") == lmtp::reply_for(Event::use_lhlo).wire());
  CHECK(say("MAIL FROM:<a@b>\r\n") == lmtp::reply_for(Event::lhlo_first).wire());
  CHECK(say("LHLO x\r\n") == lmtp::lhlo_reply("mx", 100));
  CHECK(say("MAIL FROM:<a@b> SIZE=101\r\n") == lmtp::reply_for(Event::too_big).wire());
  CHECK(say("MAIL FROM:<a@b> FOO=1\r\n") ==
        lmtp::reply_for(Event::unsupported_param, "", "FOO").wire());
  CHECK(say("MAIL FROM:<a@b>\r\n") == lmtp::reply_for(Event::sender_ok).wire());
  CHECK(say("MAIL FROM:<a@b>\r\n") == lmtp::reply_for(Event::nested_mail).wire());
  CHECK(say("DATA\r\n") == lmtp::reply_for(Event::no_recipients).wire());
  CHECK(say("VRFY x\r\n") == lmtp::reply_for(Event::cannot_vrfy).wire());
  CHECK(say("RSET\r\n") == lmtp::reply_for(Event::ok).wire());
  CHECK(say("QUIT\r\n") == lmtp::reply_for(Event::closing, "mx").wire());
}

TEST_CASE("lmtp: the server's own replies come from the table, scrubbed") {
  using lmtp::Event;
  CHECK(lmtp::reply_for(Event::greeting, "mx.test").wire() ==
        "220 mx.test LMTP deskmail ready\r\n");
  CHECK(lmtp::reply_for(Event::shutting_down, "mx.test").wire() ==
        "421 4.3.2 mx.test shutting down\r\n");
  CHECK(lmtp::reply_for(Event::too_many_connections, "mx").wire() ==
        "421 4.3.2 mx too many connections, try again later\r\n");
  CHECK(lmtp::reply_for(Event::store_unavailable, "mx").wire() ==
        "421 4.3.0 mx mail store unavailable, try again later\r\n");
  CHECK(lmtp::reply_for(Event::idle_timeout, "mx").wire() ==
        "421 4.4.2 mx timeout, closing connection\r\n");
  CHECK(lmtp::reply_for(Event::too_many_errors, "mx").wire() ==
        "421 4.7.0 mx too many errors, closing connection\r\n");
  CHECK(lmtp::reply_for(Event::closing, "mx").wire() == "221 2.0.0 mx closing connection\r\n");
  CHECK(lmtp::reply_for(Event::spool_unreadable).wire() ==
        "451 4.3.0 Cannot read the spooled message, try again later\r\n");
  CHECK(lmtp::reply_for(Event::spool_failed).wire() ==
        "451 4.3.0 Cannot spool the message, try again later\r\n");
  CHECK(lmtp::reply_for(Event::reply_missing).wire() == "451 4.3.0 Temporary internal error\r\n");
  // A host name with a line break cannot end the reply early.
  CHECK(lmtp::reply_for(Event::shutting_down, "a\r\n250 b").wire() ==
        "421 4.3.2 a  250 b shutting down\r\n");
}
