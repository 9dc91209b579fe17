// identity.h: whether the site vouches for a message's author (DESIGN.md
// section 10). Headers claim; only the site's own verifier proves. The proof
// is an Authentication-Results field (RFC 8601) that carries our
// authserv-id and lies in the block the site's MTAs added: above the N-th
// Received field, counted from the top (milters such as OpenDKIM and
// OpenDMARC insert their results there; copies a sender wrote lie below).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace desk {

/// What proves a member's mail (`authentication.require` in deskmail.yaml).
enum class Require {
  dkim_aligned,  // dmarc=pass, or dkim=pass with header.d aligned to From's domain
  dmarc,         // dmarc=pass only
  none,          // no proof asked: the member's own reply key is enough
};

struct AuthPolicy {
  std::string authserv_id;  // ours; fields with another id are ignored
  Require require = Require::dkim_aligned;
  int hops = 1;  // the site's MTAs the mail passed: trusted fields lie above the hops-th Received
};

/// One "method=result" of an Authentication-Results field, with its
/// properties ("header.d" -> "example.com"), names and results lower-cased.
struct AuthResult {
  std::string method, result;
  std::map<std::string, std::string> props;
};

/// A parsed Authentication-Results field.
struct AuthResults {
  std::string authserv_id;  // lower case
  std::vector<AuthResult> results;
};

/// Parses one field's value (RFC 8601 section 2.2; comments, quoted strings
/// and folding allowed). An empty authserv_id means it could not be read.
AuthResults parse_auth_results(std::string_view value);

/// The verdict on one message.
struct Proof {
  bool proven = false;  // the site vouches for From's domain as `require` asks
  std::string why;      // for the log and the note: what proved it, or what was missing
};

using Headers = std::vector<std::pair<std::string, std::string>>;

/// Decides whether the site vouches for `from_email`'s domain. `headers`:
/// the message's top-level fields in order, values unfolded. Only fields
/// above the hops-th Received count: OpenDKIM and OpenDMARC as Postfix
/// milters and Exim's `add_header = :at_start:` put theirs there (measured,
/// tests/system/test_milter.py), and none of them removes every copy a
/// sender wrote, which lie below.
Proof verify_author(const Headers& headers, std::string_view from_email, const AuthPolicy& policy);

/// DMARC relaxed alignment (RFC 7489 section 3.1): both domains have the same
/// organizational domain, by the Public Suffix List (libpsl).
bool aligned(std::string_view a, std::string_view b);

}  // namespace desk
