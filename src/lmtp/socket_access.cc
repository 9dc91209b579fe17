// socket_access.cc: owner, group and mode of unix listening sockets, and
// giving up the capability that set them.
#include "lmtp/socket_access.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace lmtp {

namespace {

std::string errno_text(int e) {
  return std::strerror(e);
}

// A user's or group's id from its name (or a number when no such name
// exists); throws naming what was looked for.
uid_t user_id(const std::string& name, const std::string& path) {
  std::vector<char> buf(16384);
  passwd pw{}, *res = nullptr;
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) == 0 && res) return pw.pw_uid;
  char* end = nullptr;
  unsigned long v = std::strtoul(name.c_str(), &end, 10);
  if (!name.empty() && *end == '\0') return static_cast<uid_t>(v);
  throw std::runtime_error(path + ": no user '" + name + "' to own the socket");
}

gid_t group_id(const std::string& name, const std::string& path) {
  std::vector<char> buf(65536);
  group gr{}, *res = nullptr;
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res) == 0 && res) return gr.gr_gid;
  char* end = nullptr;
  unsigned long v = std::strtoul(name.c_str(), &end, 10);
  if (!name.empty() && *end == '\0') return static_cast<gid_t>(v);
  throw std::runtime_error(path + ": no group '" + name + "' for the socket");
}

std::string running_as() {
  std::vector<char> buf(16384);
  passwd pw{}, *res = nullptr;
  if (getpwuid_r(geteuid(), &pw, buf.data(), buf.size(), &res) == 0 && res) return pw.pw_name;
  return "uid " + std::to_string(geteuid());
}

}  // namespace

void apply_socket_access(const std::string& path, const SocketAccess& access, unsigned mode) {
  // The mode first: once the socket is another user's, only CAP_FOWNER
  // (which deskmaild.service does not grant) could still change it.
  if (::chmod(path.c_str(), access.mode.value_or(mode)) != 0)
    throw std::runtime_error(path + ": cannot set the socket's mode: " + errno_text(errno));
  if (access.user.empty() && access.group.empty()) return;
  uid_t uid = access.user.empty() ? static_cast<uid_t>(-1) : user_id(access.user, path);
  gid_t gid = access.group.empty() ? static_cast<gid_t>(-1) : group_id(access.group, path);
  if (::chown(path.c_str(), uid, gid) == 0) return;
  int e = errno;
  std::string owner = access.user + (access.group.empty() ? "" : ":" + access.group);
  std::string why = errno_text(e);
  if (e == EPERM)
    why += " (deskmaild runs as " + running_as() +
           ": another user needs CAP_CHOWN, as deskmaild.service grants; a group needs "
           "the daemon's user to be a member of it)";
  throw std::runtime_error(path + ": cannot give the socket to " + owner + ": " + why);
}

void give_up_chown_capability() {
  // Ambient first: a capability cannot leave the permitted set while it is
  // still ambient. EINVAL: a kernel without ambient capabilities (< 4.3).
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_CHOWN, 0, 0) != 0 && errno != EINVAL)
    throw std::runtime_error("cannot give up CAP_CHOWN: " + errno_text(errno));
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0)
    throw std::runtime_error("cannot read capabilities: " + errno_text(errno));
  const std::uint32_t bit = 1u << CAP_CHOWN;  // CAP_CHOWN is 0: the first word
  data[0].effective &= ~bit;
  data[0].permitted &= ~bit;
  data[0].inheritable &= ~bit;
  if (::syscall(SYS_capset, &header, data) != 0)
    throw std::runtime_error("cannot give up CAP_CHOWN: " + errno_text(errno));
}

}  // namespace lmtp
