// replies.cc: the LMTP layer's own status table.
#include "lmtp/replies.h"

#include <array>
#include <string>

namespace lmtp {

namespace {

struct Entry {
  Event event;
  int code;
  const char* enhanced;  // "" for the greeting (RFC 2034 section 3)
  const char* text;
  bool host;  // the text begins with the server's host name
};

constexpr std::array kTable{
    Entry{Event::greeting, 220, "", "LMTP deskmail ready", true},
    Entry{Event::closing, 221, "2.0.0", "closing connection", true},
    Entry{Event::too_many_connections, 421, "4.3.2", "too many connections, try again later", true},
    Entry{Event::shutting_down, 421, "4.3.2", "shutting down", true},
    Entry{Event::store_unavailable, 421, "4.3.0", "mail store unavailable, try again later", true},
    Entry{Event::idle_timeout, 421, "4.4.2", "timeout, closing connection", true},
    Entry{Event::too_many_errors, 421, "4.7.0", "too many errors, closing connection", true},
    Entry{Event::spool_unreadable, 451, "4.3.0", "Cannot read the spooled message, try again later",
          false},
    Entry{Event::spool_failed, 451, "4.3.0", "Cannot spool the message, try again later", false},
    Entry{Event::reply_missing, 451, "4.3.0", "Temporary internal error", false},
};

constexpr bool in_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<std::size_t>(kTable[i].event) != i) return false;
  return true;
}
static_assert(in_order(), "kTable lists every Event once, in the enum's order");

}  // namespace

Reply reply_for(Event e, std::string_view host) {
  const Entry& x = kTable.at(static_cast<std::size_t>(e));
  std::string text = x.host ? std::string(host) + " " + x.text : std::string(x.text);
  return Reply{x.code, x.enhanced, std::move(text)};
}

}  // namespace lmtp
