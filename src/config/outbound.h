// outbound.h: the checks behind the outbound keys for TLS and the login at the
// relay (internal to config/). Each returns "" or what is wrong, worded to
// follow the key's name.
#pragma once

#include <string>

#include "config/config.h"

namespace config {

/// "starttls", "tls" or "none".
std::string parse_tls(const std::string& s, Outbound::Tls& out);

/// on/off (also true/false, yes/no).
std::string parse_on_off(const std::string& s, bool& out);

/// A file the daemon can open, for ca_file.
std::string readable_file(const std::string& path, std::string& out);

/// A login name for AUTH: not empty, no control characters.
std::string parse_username(const std::string& s, std::string& out);

/// Reads the password from its first line. Refuses a file that others than
/// its owner may read or write (mode & 077), one that is not a regular file,
/// and an empty or overlong password. The password never appears in a message.
std::string read_secret_file(const std::string& path, std::string& out);

/// The checks across the outbound keys: a username needs a password_file
/// and TLS (unless allow_plaintext_auth is on).
std::string check_outbound(const Outbound& o);

}  // namespace config
