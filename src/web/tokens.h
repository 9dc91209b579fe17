// tokens.h: the web desk's secrets: random tokens from the kernel's CSPRNG
// (sign-in links, sessions, CSRF) and the SHA-256 under which the store
// keeps them (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace web {

/// 32 random bytes as 64 lower-case hex digits.
std::string new_token();
/// SHA-256 of `token` as 64 lower-case hex digits.
std::string token_hash(std::string_view token);
/// True for 64 lower-case hex digits (what new_token makes).
bool looks_like_token(std::string_view s);

}  // namespace web
