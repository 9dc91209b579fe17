// replies.cc: the LMTP layer's own status table.
#include "lmtp/replies.h"

#include <array>
#include <string>

namespace lmtp {

namespace {

struct Entry {
  Event event;
  int code;
  const char* enhanced;  // "" for the greeting and 354 (RFC 2034 section 3)
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
    Entry{Event::ok, 250, "2.0.0", "Ok", false},
    Entry{Event::sender_ok, 250, "2.1.0", "Ok", false},
    Entry{Event::cannot_vrfy, 252, "2.5.2", "Cannot VRFY; send some mail", false},
    Entry{Event::start_data, 354, "", "Start mail input; end with <CRLF>.<CRLF>", false},
    Entry{Event::too_many_recipients, 452, "4.5.3", "Too many recipients", false},
    Entry{Event::unrecognized, 500, "5.5.2", "Command unrecognized", false},
    Entry{Event::line_too_long, 500, "5.5.2", "Line too long", false},
    Entry{Event::invalid_character, 500, "5.5.2", "Syntax error: invalid character", false},
    Entry{Event::use_lhlo, 500, "5.5.1", "This is an LMTP server: use LHLO (RFC 2033)", false},
    Entry{Event::lhlo_syntax, 501, "5.5.4", "Syntax: LHLO hostname", false},
    Entry{Event::mail_syntax, 501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]", false},
    Entry{Event::rcpt_syntax, 501, "5.5.4", "Syntax: RCPT TO:<address>", false},
    Entry{Event::data_syntax, 501, "5.5.4", "DATA takes no arguments", false},
    Entry{Event::bad_size, 501, "5.5.4", "Invalid SIZE parameter", false},
    Entry{Event::bad_body, 501, "5.5.4", "Invalid BODY parameter", false},
    Entry{Event::not_offered, 502, "5.5.1", "Command not offered by this server", false},
    Entry{Event::lhlo_first, 503, "5.5.1", "Send LHLO first", false},
    Entry{Event::nested_mail, 503, "5.5.1", "Nested MAIL command", false},
    Entry{Event::need_mail, 503, "5.5.1", "Need MAIL command first", false},
    Entry{Event::no_recipients, 503, "5.5.1", "No valid recipients", false},
    Entry{Event::too_big, 552, "5.3.4", "Message size exceeds fixed maximum message size", false},
    Entry{Event::bare_line_end, 554, "5.6.0", "Message contains bare CR or LF (RFC 5321 2.3.8)",
          false},
    Entry{Event::unsupported_param, 555, "5.5.4", "Unsupported parameter", false},
};

constexpr bool in_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<std::size_t>(kTable[i].event) != i) return false;
  return kTable.size() == static_cast<std::size_t>(kEvents);
}
static_assert(in_order(), "kTable lists every Event once, in the enum's order");

// What LHLO offers, in this order, before SIZE (DESIGN.md section 3: nothing
// else until it is implemented and tested).
constexpr std::array<const char*, 4> kExtensions{"PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME",
                                                 "SMTPUTF8"};

}  // namespace

Reply reply_for(Event e, std::string_view host, std::string_view detail) {
  const Entry& x = kTable.at(static_cast<std::size_t>(e));
  std::string text = x.host ? std::string(host) + " " + x.text : std::string(x.text);
  if (!detail.empty()) text.append(" ").append(detail);
  return Reply{x.code, x.enhanced, std::move(text)};
}

std::string lhlo_reply(std::string_view host, std::uint64_t message_size) {
  auto continued = [](std::string text) {
    std::string line = Reply{250, "", std::move(text)}.wire();
    line[3] = '-';  // "250-": more lines follow (RFC 5321 section 4.2.1)
    return line;
  };
  std::string out = continued(std::string(host));
  for (const char* ext : kExtensions) out += continued(ext);
  out += Reply{250, "", "SIZE " + std::to_string(message_size)}.wire();
  return out;
}

}  // namespace lmtp
