// reply.h: an SMTP/LMTP reply line with its RFC 3463 enhanced status code.
#pragma once

#include <string>

namespace lmtp {

struct Reply {
  int code = 0;          // 250, 451, 550 ...
  std::string enhanced;  // "2.0.0"; empty for greeting and LHLO (RFC 2034 section 3)
  std::string text;      // human text; never contains CR or LF

  /// "250 2.0.0 text\r\n"
  std::string wire() const {
    std::string s = std::to_string(code);
    s += ' ';
    if (!enhanced.empty()) {
      s += enhanced;
      s += ' ';
    }
    for (char c : text) s += (c == '\r' || c == '\n') ? ' ' : c;
    s += "\r\n";
    return s;
  }
  bool positive() const { return code >= 200 && code < 300; }
  bool transient() const { return code >= 400 && code < 500; }
};

}  // namespace lmtp
