// log.cc: deskmaild's log sink.
#include "server/log.h"

#include <unistd.h>

#include <cerrno>

namespace server {

// iostream wrote prefix, pid, text and newline in five system calls, and
// lines of two threads could interleave.
void log_line(const std::string& s) {
  static const std::string prefix = "deskmaild[" + std::to_string(getpid()) + "]: ";
  std::string line;
  line.reserve(prefix.size() + s.size() + 1);
  line += prefix;
  line += s;
  line += '\n';
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace server
