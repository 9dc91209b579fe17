// verify.cc: webhook secrets and signatures with OpenSSL (see verify.h).
#include "forge/verify.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <stdexcept>

namespace forge {

namespace {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view s) {
  Digest d{};
  if (!SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data()))
    throw std::runtime_error("SHA256 failed");
  return d;
}

Digest hmac(std::string_view key, std::string_view body) {
  Digest d{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(body.data()), body.size(), d.data(), &len) ||
      len != d.size())
    throw std::runtime_error("HMAC-SHA256 failed");
  return d;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool token_matches(std::string_view given, std::string_view secret) {
  if (secret.empty()) return false;
  Digest a = sha256(given), b = sha256(secret);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view body) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : hmac(secret, body)) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool signature_matches(std::string_view signature, std::string_view prefix, std::string_view secret,
                       std::string_view body) {
  if (secret.empty() || signature.size() != prefix.size() + 64 ||
      signature.substr(0, prefix.size()) != prefix)
    return false;
  Digest given{};
  std::string_view hex = signature.substr(prefix.size());
  for (std::size_t i = 0; i < given.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    given[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  Digest want = hmac(secret, body);
  return CRYPTO_memcmp(given.data(), want.data(), want.size()) == 0;
}

}  // namespace forge
