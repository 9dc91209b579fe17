// replies.h: the replies the LMTP layer gives by itself, each with its code,
// RFC 3463 enhanced code and text in one table (delivery outcomes have
// theirs in delivery/status.h). The server and the session write these only
// as lmtp::Reply, through Reply::wire(), which keeps CR and LF out of the
// line whatever the host name holds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lmtp/reply.h"

namespace lmtp {

enum class Event {
  // The connection (server.cc, and the session's greeting and QUIT).
  greeting,              // 220 HOST LMTP deskmail ready
  closing,               // 221 2.0.0 HOST closing connection (QUIT)
  too_many_connections,  // 421 4.3.2 at the greeting: limits.connections reached
  shutting_down,         // 421 4.3.2 SIGTERM: to idle sessions and new connections
  store_unavailable,     // 421 4.3.0 at the greeting: the store failed again and again
  idle_timeout,          // 421 4.4.2 timeouts.idle without a command
  too_many_errors,       // 421 4.7.0 limits.bad_commands reached
  spool_unreadable,      // 451 4.3.0 per recipient: the spooled data could not be read back
  spool_failed,          // 451 4.3.0 per recipient: the data could not be spooled (disk full)
  reply_missing,         // 451 4.3.0 the handler gave fewer replies than recipients (a bug)
  // Commands (session.cc).
  ok,                   // 250 2.0.0 RSET, NOOP
  sender_ok,            // 250 2.1.0 MAIL
  cannot_vrfy,          // 252 2.5.2 VRFY
  start_data,           // 354 DATA
  too_many_recipients,  // 452 4.5.3 limits.recipients
  unrecognized,         // 500 5.5.2 an unknown command
  line_too_long,        // 500 5.5.2 a command line longer than 4 KiB
  invalid_character,    // 500 5.5.2 NUL or CR inside a command line
  use_lhlo,             // 500 5.5.1 HELO or EHLO
  lhlo_syntax,          // 501 5.5.4
  mail_syntax,          // 501 5.5.4
  rcpt_syntax,          // 501 5.5.4
  data_syntax,          // 501 5.5.4 DATA with arguments
  bad_size,             // 501 5.5.4 MAIL's SIZE= not a number
  bad_body,             // 501 5.5.4 MAIL's BODY= neither 7BIT nor 8BITMIME
  not_offered,          // 502 5.5.1 a known command this server does not offer
  lhlo_first,           // 503 5.5.1 MAIL or DATA before LHLO
  nested_mail,          // 503 5.5.1 MAIL inside a transaction
  need_mail,            // 503 5.5.1 RCPT or DATA without MAIL
  no_recipients,        // 503 5.5.1 DATA without an accepted RCPT
  too_big,              // 552 5.3.4 SIZE= or the data over limits.message_size
  bare_line_end,        // 554 5.6.0 bare CR or LF in the data (bare_lf: reject)
  unsupported_param,    // 555 5.5.4 a MAIL or RCPT parameter not offered (+ its keyword)
};

/// The reply for `e`; texts that name the server begin with `host`, and a
/// `detail` (the parameter of unsupported_param) follows the text.
Reply reply_for(Event e, std::string_view host = {}, std::string_view detail = {});

/// Every Event, in the table's order (for the unit test that lists them).
inline constexpr int kEvents = static_cast<int>(Event::unsupported_param) + 1;

/// The LHLO reply (RFC 2033 section 4.1): the host, then each extension
/// deskmail offers (DESIGN.md section 3), SIZE with `message_size`, as
/// "250-" lines ending in one "250 " line.
std::string lhlo_reply(std::string_view host, std::uint64_t message_size);

}  // namespace lmtp
