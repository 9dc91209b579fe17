// replies.h: the replies the LMTP layer gives by itself, each with its code,
// RFC 3463 enhanced code and text in one table (delivery outcomes have
// theirs in delivery/status.h). The server and the session write these only
// as lmtp::Reply, through Reply::wire(), which keeps CR and LF out of the
// line whatever the host name holds.
#pragma once

#include <string_view>

#include "lmtp/reply.h"

namespace lmtp {

enum class Event {
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
};

/// The reply for `e`; texts that name the server begin with `host`.
Reply reply_for(Event e, std::string_view host = {});

}  // namespace lmtp
