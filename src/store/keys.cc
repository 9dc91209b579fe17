// keys.cc: reply keys from the kernel CSPRNG, and issue references.
#include <sys/random.h>

#include <cerrno>
#include <charconv>
#include <system_error>

#include "store/store.h"

namespace store {

std::string random_key() {
  unsigned char b[16];
  std::size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    got += static_cast<std::size_t>(n);
  }
  static const char hex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

std::optional<std::pair<std::string, std::int64_t>> parse_ref(const std::string& ref) {
  auto hash = ref.rfind('#');
  if (hash == std::string::npos || hash == 0 || hash + 1 == ref.size()) return std::nullopt;
  std::int64_t iid = 0;
  const char* b = ref.data() + hash + 1;
  const char* e = ref.data() + ref.size();
  auto [p, ec] = std::from_chars(b, e, iid);
  if (ec != std::errc() || p != e || iid <= 0) return std::nullopt;
  return std::make_pair(ref.substr(0, hash), iid);
}

}  // namespace store
