// verify.h: proving a webhook came from the forge that knows the binding's
// secret (issue 22). GitLab sends the secret itself in X-Gitlab-Token;
// GitHub (X-Hub-Signature-256: "sha256=" HEX) and Gitea/Forgejo
// (X-Gitea-Signature: HEX) send an HMAC-SHA256 of the raw body keyed with
// it. Both are compared in constant time (OpenSSL's CRYPTO_memcmp).
#pragma once

#include <string>
#include <string_view>

namespace forge {

/// True when `given` equals `secret`. The time taken does not depend on
/// where they differ, nor on `secret`'s length (SHA-256 digests of both are
/// compared). An empty secret matches nothing.
bool token_matches(std::string_view given, std::string_view secret);

/// HMAC-SHA256 of `body` keyed with `secret`, as 64 lower-case hex digits.
std::string hmac_sha256_hex(std::string_view secret, std::string_view body);

/// True when `signature` is `prefix` followed by the hex HMAC-SHA256 of
/// `body` under `secret` (hex digits in either case). An empty secret
/// matches nothing.
bool signature_matches(std::string_view signature, std::string_view prefix, std::string_view secret,
                       std::string_view body);

}  // namespace forge
