// log.cc: deskmaild's log sink (log.h).
#include "server/log.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

namespace server {

namespace {

struct Sink {
  std::mutex mu;
  config::Log cfg;
  int fd = -1;  // the syslog socket, connected; -1 until the first line
};

Sink& sink() {
  static Sink s;
  return s;
}

void write_all(int fd, const std::string& line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

const std::string& pid_text() {
  static const std::string pid = std::to_string(getpid());
  return pid;
}

int connect_syslog(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// RFC 3164's header, in local time as syslogd writes it.
std::string syslog_datagram(const config::Log& cfg, int priority, const std::string& text) {
  char stamp[32] = {};
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
  int pri = config::facility_code(cfg.facility) * 8 + priority;
  return "<" + std::to_string(pri) + ">" + stamp + " " + cfg.syslog_name + "[" + pid_text() +
         "]: " + text;
}

// Sends one datagram; reconnects once when syslogd was restarted.
bool send_syslog(Sink& s, const std::string& msg) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (s.fd < 0) s.fd = connect_syslog(s.cfg.socket);
    if (s.fd < 0) return false;
    ssize_t n;
    do {
      n = ::send(s.fd, msg.data(), msg.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) return true;
    ::close(s.fd);
    s.fd = -1;
  }
  return false;
}

// systemd's test (sd_journal_stream_fd(3)): $JOURNAL_STREAM names the
// device and inode of the stream, which must still be our stderr.
bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) < 0) return false;
  return std::string(js) == std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

void write_stderr(const config::Log& cfg, int priority, const std::string& text) {
  static const bool journal = stderr_is_journal();
  std::string line;
  line.reserve(text.size() + 32);
  if (journal)
    line = "<" + std::to_string(priority) + ">";
  else
    line = cfg.syslog_name + "[" + pid_text() + "]: ";
  line += text;
  line += '\n';
  write_all(STDERR_FILENO, line);
}

}  // namespace

int log_priority(const std::string& text) {
  if (text.rfind("fatal: ", 0) == 0 || text.rfind("error: ", 0) == 0) return 3;
  if (text.rfind("warning: ", 0) == 0) return 4;
  return 6;
}

void configure_log(const config::Log& log) {
  Sink& s = sink();
  std::lock_guard<std::mutex> lock(s.mu);
  s.cfg = log;
  if (s.fd >= 0) ::close(s.fd);
  s.fd = -1;
}

void log_line(const std::string& text) {
  Sink& s = sink();
  int priority = log_priority(text);
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.cfg.to == config::Log::To::syslog && send_syslog(s, syslog_datagram(s.cfg, priority, text)))
    return;
  write_stderr(s.cfg, priority, text);
}

}  // namespace server
