// check.cc: deskmaild --check-config's checks of the environment (check.h).
#include "server/check.h"

#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/spool.h"
#include "server/settings.h"
#include "store/sqlite/database_file.h"
#include "store/store.h"

namespace server {

namespace {

struct Finding {
  enum Level { ok, warning, error } level = ok;
  std::string text;
};
using Findings = std::vector<Finding>;

Finding good(std::string t) {
  return {Finding::ok, std::move(t)};
}
Finding bad(std::string t) {
  return {Finding::error, std::move(t)};
}

// Who the checks are for: the service user when run as root (the admin by
// hand), else whoever runs them (the unit's ExecStartPre, as deskmail).
struct Account {
  uid_t uid = ::geteuid();
  std::vector<gid_t> groups;
  std::string name;
};

Account account_for(const std::string& service_user) {
  Account a;
  const passwd* pw = a.uid == 0 ? ::getpwnam(service_user.c_str()) : ::getpwuid(a.uid);
  if (!pw) return a;
  a.uid = pw->pw_uid;
  a.name = pw->pw_name;
  int n = 64;
  a.groups.resize(static_cast<std::size_t>(n));
  if (::getgrouplist(pw->pw_name, pw->pw_gid, a.groups.data(), &n) < 0) {
    a.groups.resize(static_cast<std::size_t>(n));
    ::getgrouplist(pw->pw_name, pw->pw_gid, a.groups.data(), &n);
  }
  a.groups.resize(static_cast<std::size_t>(n));
  return a;
}

// May `a` create files in `dir`? The mode bits as the kernel reads them
// (root may do anything; ACLs are not looked at).
std::string dir_problem(const std::string& dir, const Account& a) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) < 0) return dir + ": " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return dir + ": not a directory";
  if (a.uid == 0) return "";
  mode_t need = S_IWOTH | S_IXOTH;
  if (st.st_uid == a.uid)
    need = S_IWUSR | S_IXUSR;
  else
    for (gid_t g : a.groups)
      if (g == st.st_gid) need = S_IWGRP | S_IXGRP;
  if ((st.st_mode & need) == need) return "";
  return dir + ": " + (a.name.empty() ? std::string("this user") : a.name) +
         " may not create files there";
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

Finding check_spool(const config::Config& cfg) {
  std::string dir = spool_dir(cfg);
  int fd = common::Spool::open_file(dir);
  if (fd < 0) return bad("spool directory " + dir + ": " + std::strerror(errno));
  ::close(fd);
  return good("spool directory " + dir + " takes files");
}

Finding check_database(const config::Config& cfg) {
  std::string shown = config::redact(cfg.database);
  std::string file = store::sqlite::database_path(cfg.database);
  struct stat st {};
  if (!file.empty() && ::stat(file.c_str(), &st) < 0)
    return bad("database " + file + ": " + std::strerror(errno) + "; run 'deskmail -c " + cfg.file +
               " db init'");
  try {
    auto st = store::open(cfg.database, std::chrono::seconds(5), 1);
    int v = st->version();
    const int want = store::Store::kSchemaVersion;
    if (v == 0) return bad("database " + shown + " has no schema; run 'deskmail db init'");
    if (v < want)
      return bad("database " + shown + " at schema version " + std::to_string(v) + ", " +
                 std::to_string(want - v) + " migration(s) pending; run 'deskmail db migrate'");
    if (v > want)
      return bad("database " + shown + " at schema version " + std::to_string(v) +
                 ", newer than this program (" + std::to_string(want) + ")");
    return good("database " + shown + " at schema version " + std::to_string(v));
  } catch (const std::exception& e) {
    return bad("database " + shown + ": " + e.what());
  }
}

Finding check_owner(const config::Listen& l) {
  if (!l.user.empty() && !::getpwnam(l.user.c_str()))
    return bad("listen " + l.spec + ": no user " + l.user);
  if (!l.group.empty() && !::getgrnam(l.group.c_str()))
    return bad("listen " + l.spec + ": no group " + l.group);
  return good("");
}

Finding check_unix(const config::Listen& l, const Account& a) {
  if (auto owner = check_owner(l); owner.level == Finding::error) return owner;
  struct stat st {};
  if (::lstat(l.path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode))
    return bad("listen " + l.spec + ": " + l.path + " exists and is not a socket");
  if (auto p = dir_problem(parent_of(l.path), a); !p.empty())
    return bad("listen " + l.spec + ": " + p);
  return good("listen " + l.spec + ": socket directory writable");
}

// Binds the address as the daemon will. In use: a running deskmaild (a
// check before SIGHUP), so only a warning.
Finding check_tcp(const config::Listen& l) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  std::string port = std::to_string(l.port);
  if (int rc = ::getaddrinfo(l.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return bad("listen " + l.spec + ": " + ::gai_strerror(rc));
  Finding f = good("listen " + l.spec + ": can be bound");
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
    int e = errno;
    f = e == EADDRINUSE ? Finding{Finding::warning,
                                  "listen " + l.spec + ": address in use (a running deskmaild?)"}
                        : bad("listen " + l.spec + ": " + std::strerror(e));
  }
  if (fd >= 0) ::close(fd);
  ::freeaddrinfo(res);
  return f;
}

// Waits for fd to become ready for `events` until `deadline_ms` ends.
bool wait_fd(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

// Connects and reads the greeting: "" when it is a 220, else why not.
std::string relay_problem(const std::string& host, std::uint16_t port, int ms) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  std::string p = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), p.c_str(), &hints, &res); rc != 0)
    return ::gai_strerror(rc);
  std::string why = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (rc < 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
    } else if (rc < 0 && !wait_fd(fd, POLLOUT, ms)) {
      why = "no connection within " + std::to_string(ms / 1000) + " s";
    } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr != 0) {
      why = std::strerror(soerr);
    } else {
      char buf[512];
      ssize_t n = wait_fd(fd, POLLIN, ms) ? ::recv(fd, buf, sizeof buf - 1, 0) : -1;
      std::string greeting(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
      why = greeting.rfind("220", 0) == 0 ? ""
            : n > 0 ? "greeting is not 220: " + greeting.substr(0, greeting.find('\r'))
                    : "no greeting within " + std::to_string(ms / 1000) + " s";
      if (why.empty()) (void)!::send(fd, "QUIT\r\n", 6, MSG_NOSIGNAL);
    }
    ::close(fd);
    if (why.empty()) break;
  }
  ::freeaddrinfo(res);
  return why;
}

Finding check_relay(const config::Config& cfg, bool required) {
  const auto& o = cfg.outbound;
  std::string where = o.relay_host + ":" + std::to_string(o.relay_port);
  if (!o.enabled) return good("relay: sending disabled (outbound.enabled: false)");
  auto why = relay_problem(o.relay_host, o.relay_port, 5000);
  if (why.empty()) return good("relay " + where + " greets with 220");
  return {required ? Finding::error : Finding::warning,
          "relay " + where + ": " + why + "; mail waits in the outbox until it answers"};
}

Finding check_log_socket(const config::Log& l) {
  struct stat st {};
  if (::stat(l.socket.c_str(), &st) < 0)
    return bad("log.socket " + l.socket + ": " + std::strerror(errno));
  if (!S_ISSOCK(st.st_mode)) return bad("log.socket " + l.socket + ": not a socket");
  return good("log.socket " + l.socket + " is a socket");
}

// Who may speak as the desk (DESIGN.md section 10): the field the site's
// verifier writes must carry this authserv-id.
Finding check_authentication(const config::Config& cfg) {
  const auto& a = cfg.authentication;
  if (a.require == config::Authentication::Require::none)
    return {Finding::warning,
            "authentication.require: none: a member's reply key alone answers customers"};
  std::string id = "authentication.authserv_id " + a.authserv_id;
  if (a.authserv_id == cfg.hostname)
    return good(id + " (the hostname): the verifier's Authentication-Results must name it");
  return good(id);
}

// Prints the findings; true when none is an error.
bool report(const Findings& fs, std::ostream& out, std::ostream& err) {
  bool fine = true;
  for (const auto& f : fs) {
    if (f.text.empty()) continue;
    if (f.level == Finding::ok) out << "ok: " << f.text << "\n";
    if (f.level == Finding::warning) err << "warning: " << f.text << "\n";
    if (f.level == Finding::error) err << "error: " << f.text << "\n";
    fine = fine && f.level != Finding::error;
  }
  return fine;
}

}  // namespace

int check_environment(const config::Config& cfg, const CheckOptions& opts, std::ostream& out,
                      std::ostream& err) {
  Account a = account_for(opts.service_user);
  Findings env{check_database(cfg), check_spool(cfg)};
  for (const auto& l : cfg.listen)
    env.push_back(l.kind == config::Listen::Kind::unix_socket ? check_unix(l, a) : check_tcp(l));
  if (cfg.log.to == config::Log::To::syslog) env.push_back(check_log_socket(cfg.log));
  env.push_back(check_authentication(cfg));
  bool env_ok = report(env, out, err);
  bool relay_ok = report({check_relay(cfg, opts.relay_required)}, out, err);
  if (!env_ok) return exit_environment;
  if (!relay_ok) return exit_relay;
  return exit_ok;
}

}  // namespace server
