// message.h: a received mail as plain values, and the parser that makes it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace mail {

struct Mailbox {
  std::string name;   // display name, RFC 2047-decoded, UTF-8
  std::string email;  // addr-spec
};

struct Attachment {
  std::string filename_sent;  // as sent (RFC 2231/2047 decoded), may be hostile
  std::string filename;       // sanitized: no path, no control characters
  std::string content_type;   // "image/png"
  std::string content;        // decoded bytes, unless spooled
  common::BytesPtr spooled;   // a large one's decoded bytes, in a file (ParseOptions)
  std::string sha256;         // hex of content

  std::string_view bytes() const { return spooled ? spooled->view() : std::string_view(content); }
};

struct Message {
  std::string subject;  // decoded, UTF-8, one line
  std::optional<Mailbox> from;
  std::optional<Mailbox> reply_to;
  std::vector<Mailbox> cc;  // the Cc field's mailboxes, in order (the first 50)
  std::string message_id;   // without angle brackets; "" when absent
  std::string in_reply_to;
  std::vector<std::string> references;
  bool automated = false;       // RFC 3834 auto-submitted, bulk/list, auto-reply markers
  std::string text;             // body as UTF-8 text
  bool text_from_html = false;  // the only body was HTML, converted
  std::vector<Attachment> attachments;
  std::vector<std::string> problems;  // what was wrong but survivable
  std::string body_sha256;  // hash of the bytes after the header block; only without a Message-ID
};

/// Calls g_mime_init() once; call before starting any thread.
void init();

/// Parses one message (CRLF or LF line endings). Never throws for bad input:
/// what cannot be understood is recorded in `problems`.
Message parse(std::string_view raw);
/// Where the decoded bytes of large attachments go.
struct ParseOptions {
  std::string spool_dir;                          // "": they stay in memory
  std::size_t spool_over = std::size_t{1} << 20;  // larger ones go to a file there
  /// Text kept per message, all its text parts together (limits.
  /// text_per_message; GitLab caps a description at 1 MiB too); the raw
  /// message keeps everything.
  std::size_t text_limit = std::size_t{1} << 20;
};

/// The same over a message's Bytes: GMime reads a mapped message where it
/// lies and every pass over it releases what it has read (common/bytes.h).
/// With opts.spool_dir, an attachment that decodes to more than
/// opts.spool_over bytes is written to a file without a name there and
/// mapped (Attachment::spooled). Throws std::runtime_error when that file
/// cannot be written (disk full): a temporary failure, not a bad message.
Message parse(const common::Bytes& raw, const ParseOptions& opts = {});

/// Converts HTML to readable plain text (tags dropped, block elements become
/// line breaks, entities decoded, script/style removed).
std::string html_to_text(std::string_view html);

/// Makes an attachment name safe to show and store: the last path component,
/// no control characters, no leading dots, at most 200 bytes of UTF-8.
std::string sanitize_filename(std::string_view name);

/// Returns valid UTF-8 (invalid sequences become U+FFFD), NUL removed.
std::string to_valid_utf8(std::string_view s);

/// A body as outbound mail carries it: valid UTF-8, LF line endings (CR and
/// CRLF become LF) and a final line break. compose() and write_plain() both.
std::string lf_text(std::string_view body);

/// A title from a subject, or from the first words of the body when the
/// subject is empty. One line, at most 255 bytes.
std::string make_title(std::string_view subject, std::string_view body);

/// The reply without quoted text, quote headers and signature. Returns the
/// text unchanged when nothing would be left (a pure quote or forward).
std::string trim_reply(std::string_view text);

/// Lower-case hex SHA-256. With `owner` (the Bytes that `data` lies in),
/// read in steps that release() what was hashed.
std::string sha256_hex(std::string_view data, const common::Bytes* owner = nullptr);

}  // namespace mail
