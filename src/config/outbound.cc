// outbound.cc: the outbound keys for TLS and the login at the relay.
#include "config/outbound.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace config {

std::string parse_tls(const std::string& s, Outbound::Tls& out) {
  if (s == "starttls")
    out = Outbound::Tls::starttls;
  else if (s == "tls")
    out = Outbound::Tls::tls;
  else if (s == "none")
    out = Outbound::Tls::none;
  else
    return "must be starttls, tls or none";
  return "";
}

std::string parse_on_off(const std::string& s, bool& out) {
  if (s == "on" || s == "true" || s == "yes")
    out = true;
  else if (s == "off" || s == "false" || s == "no")
    out = false;
  else
    return "must be on or off";
  return "";
}

std::string readable_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "'" + path + "': " + std::strerror(errno);
  ::close(fd);
  out = path;
  return "";
}

std::string parse_username(const std::string& s, std::string& out) {
  if (s.empty() || s.size() > 255) return "must be a login name of 1 to 255 bytes";
  for (char c : s)
    if (static_cast<unsigned char>(c) < ' ' || c == '\x7f')
      return "must not contain control characters";
  out = s;
  return "";
}

std::string read_secret_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return "'" + path + "': " + std::strerror(errno);
  struct stat st {};
  std::string err;
  char buf[1026];
  ssize_t n = 0;
  if (::fstat(fd, &st) != 0) {
    err = "'" + path + "': " + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    err = "'" + path + "' is not a regular file";
  } else if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    err = "'" + path + "' is open to others than its owner (mode " + mode +
          "): chmod 600 it, owned by the daemon's user";
  } else if ((n = ::read(fd, buf, sizeof buf)) < 0) {
    err = "'" + path + "': " + std::strerror(errno);
  }
  ::close(fd);
  if (!err.empty()) return err;
  std::string text(buf, static_cast<std::size_t>(n));
  text = text.substr(0, text.find('\n'));
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.size() > 1024) return "'" + path + "': the password is longer than 1024 bytes";
  if (text.empty()) return "'" + path + "': the first line (the password) is empty";
  if (text.find('\0') != std::string::npos || text.find('\r') != std::string::npos)
    return "'" + path + "': the password contains a NUL or CR byte";
  out = std::move(text);
  return "";
}

std::string check_outbound(const Outbound& o) {
  if (o.username.empty() != o.password_file.empty())
    return "outbound.username and outbound.password_file go together";
  if (!o.username.empty() && o.tls == Outbound::Tls::none && !o.allow_plaintext_auth)
    return "outbound.username without outbound.tls would send the password in clear: set tls: "
           "starttls or tls (or allow_plaintext_auth: on)";
  return "";
}

}  // namespace config
