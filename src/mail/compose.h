// compose.h: writing one outbound mail with GMime: RFC 2047 headers, a
// quoted-printable UTF-8 text body, CRLF line endings. No header value can
// carry CR or LF: every value passes through header_safe().
//
// The body's structure (issue 23):
//   text only                 text/plain
//   with HTML                 multipart/alternative (text/plain, text/html)
//   with files                multipart/mixed (either of the above, then one
//                             base64 part per file, RFC 2231 file names)
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/message.h"

namespace mail {

/// A file sent with a mail; the bytes are the caller's and must outlive compose().
struct OutFile {
  std::string filename;      // shown to the recipient; made safe again here
  std::string content_type;  // "type/subtype"; anything else is sent as application/octet-stream
  std::string_view bytes;
};

struct Outgoing {
  Mailbox from;
  Mailbox to;
  std::string reply_to;                 // address only; "" for none
  std::string subject;                  // UTF-8
  std::string body;                     // UTF-8 text, any line endings
  std::string html;                     // "" for none, else a whole HTML document
  std::vector<OutFile> files;           // attachments, in order
  std::string message_id;               // without angle brackets
  std::string in_reply_to;              // without angle brackets
  std::vector<std::string> references;  // without angle brackets, oldest first
  std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. Auto-Submitted
  std::time_t date = 0;
};

/// The whole message, CRLF line endings, ready for SMTP (before dot-stuffing).
std::string compose(const Outgoing& out);

/// A file's content type from its name's extension (the usual document,
/// image, archive and text types), else "application/octet-stream".
std::string guess_content_type(std::string_view filename);

/// True for a well-formed "type/subtype" (RFC 2045 tokens, no parameters).
bool valid_content_type(std::string_view type);

/// One line of valid UTF-8 with no control characters (CR, LF, NUL, TAB ...
/// become spaces, runs collapse), at most `max` bytes.
std::string header_safe(std::string_view s, std::size_t max = 900);

}  // namespace mail
