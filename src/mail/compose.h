// compose.h: writing one outbound mail with GMime: RFC 2047 headers, a
// quoted-printable UTF-8 text body, CRLF line endings. No header value can
// carry CR or LF: every value passes through header_safe().
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/message.h"

namespace mail {

struct Outgoing {
  Mailbox from;
  Mailbox to;
  std::string reply_to;                                      // address only; "" for none
  std::string subject;                                       // UTF-8
  std::string body;                                          // UTF-8 text, any line endings
  std::string message_id;                                    // without angle brackets
  std::string in_reply_to;                                   // without angle brackets
  std::vector<std::string> references;                       // without angle brackets, oldest first
  std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. Auto-Submitted
  std::time_t date = 0;
};

/// The whole message, CRLF line endings, ready for SMTP (before dot-stuffing).
std::string compose(const Outgoing& out);

/// One line of valid UTF-8 with no control characters (CR, LF, NUL, TAB ...
/// become spaces, runs collapse), at most `max` bytes.
std::string header_safe(std::string_view s, std::size_t max = 900);

}  // namespace mail
