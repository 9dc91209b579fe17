// confirmation_writer.h: the outbound text mail written by a fixed template
// (DESIGN.md section 12): the same fields and encodings as compose(), in
// plain string writes, with GMime only for the words that need RFC 2047
// encoding. Every header value passes header_safe(), so no CR or LF from a
// customer or a template reaches a header.
#pragma once

#include <string>

#include "mail/compose.h"

namespace mail {

/// The whole message, CRLF line endings, ready for SMTP (before
/// dot-stuffing): the extra headers, From, To, Reply-To, Subject, Date,
/// Message-ID, In-Reply-To, References, MIME-Version and a quoted-printable
/// UTF-8 text/plain body. Lines are at most 998 octets; a long field is
/// folded at spaces. An address that is not printable ASCII (an
/// internationalized domain or local part) goes through compose() instead.
std::string write_plain(const Outgoing& out);

}  // namespace mail
