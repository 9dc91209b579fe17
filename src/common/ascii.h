// ascii.h: the length of the leading run of ASCII text without NUL, read
// eight bytes at a time. Most mail text is plain ASCII; checks that go byte
// by byte (UTF-8 validity, NUL) start where this run ends (issue 7: such
// loops were 3 to 4 % of the CPU for a 100 KiB message each).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace common {

inline std::size_t ascii_run(std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & kHigh) != 0 || ((w - kOnes) & ~w & kHigh) != 0) break;  // a high bit, or a zero byte
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) - 1u < 0x7fu) ++i;  // 0x01..0x7f
  return i;
}

}  // namespace common
