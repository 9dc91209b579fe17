// database_file.cc: the SQLite database file's path and its creation with
// the desk's permissions (database_file.h).
#include "store/sqlite/database_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace store::sqlite {

namespace {

constexpr mode_t kDatabaseMode = 0660;  // deskmail:deskmail; see deskmail.yaml(5)

// The value of `key` in SOCI's "key=value key=\"value\"" list, or "".
std::string option(const std::string& s, const std::string& key) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t eq = s.find('=', i);
    if (eq == std::string::npos) return "";
    std::string k = s.substr(i, eq - i);
    std::size_t v = eq + 1, end;
    std::string value;
    if (v < s.size() && s[v] == '"') {
      end = s.find('"', v + 1);
      if (end == std::string::npos) end = s.size();
      value = s.substr(v + 1, end - v - 1);
      ++end;
    } else {
      end = v;
      while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end]))) ++end;
      value = s.substr(v, end - v);
    }
    if (k == key) return value;
    i = end;
  }
  return "";
}

}  // namespace

std::string database_path(const std::string& connection) {
  const std::string scheme = "sqlite3://";
  if (connection.rfind(scheme, 0) != 0) return "";
  std::string rest = connection.substr(scheme.size());
  std::string path = rest.find('=') == std::string::npos ? rest : option(rest, "db");
  if (path.empty() && rest.find('=') != std::string::npos) path = option(rest, "dbname");
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return "";
  return path;
}

void create_database_file(const std::string& path) {
  if (path.empty()) return;
  int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, kDatabaseMode);
  if (fd < 0) return;  // it exists, or SQLite will say why it cannot open it
  bool ok = true;
  if (::geteuid() == 0) {
    auto slash = path.rfind('/');
    std::string dir =
        slash == std::string::npos ? "." : path.substr(0, std::max<std::size_t>(slash, 1));
    struct stat st {};
    ok = ::stat(dir.c_str(), &st) == 0 && ::fchown(fd, st.st_uid, st.st_gid) == 0;
  }
  ok = ok && ::fchmod(fd, kDatabaseMode) == 0;  // after fchown, and past the umask
  ::close(fd);
  if (!ok) ::unlink(path.c_str());  // not as documented: SQLite makes it, as before
}

}  // namespace store::sqlite
