// smtp_auth.h: the parts of the outbox's SMTP dialogue that are pure
// functions: what a relay's EHLO reply offers (RFC 5321 4.1.1.1, RFC 3207
// STARTTLS, RFC 4954 AUTH, RFC 2920 PIPELINING), and the SASL PLAIN (RFC 4616)
// and LOGIN responses.
#pragma once

#include <string>
#include <vector>

namespace outbox {

/// The extensions of one EHLO reply that the outbox uses.
struct Capabilities {
  bool starttls = false;
  bool pipelining = false;
  bool auth_plain = false;
  bool auth_login = false;
};

/// Reads the lines of an EHLO reply, each without its code and separator
/// ("250-" / "250 "); the first line is the greeting and names no extension.
/// Keywords are case-insensitive; "AUTH=PLAIN LOGIN" (the pre-RFC form some
/// relays still send) counts like "AUTH PLAIN LOGIN".
Capabilities parse_ehlo(const std::vector<std::string>& lines);

/// RFC 4648 base64 (OpenSSL's encoder), no line breaks.
std::string base64(const std::string& bytes);

/// The initial response of AUTH PLAIN: base64 of "\0user\0password" (no
/// authorization identity: the relay uses the login's own).
std::string sasl_plain(const std::string& user, const std::string& password);

}  // namespace outbox
