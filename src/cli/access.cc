// access.cc: advice on a database this user cannot use (see access.h).
#include "cli/access.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "store/sqlite/database_file.h"

namespace cli {

namespace {

std::string user_name(uid_t uid) {
  const passwd* pw = ::getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

std::string group_name(gid_t gid) {
  const group* gr = ::getgrgid(gid);
  return gr ? gr->gr_name : std::to_string(gid);
}

}  // namespace

std::string access_advice(const std::string& connection) {
  std::string path = store::sqlite::database_path(connection);
  if (path.empty()) return {};
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  bool file_ok = ::access(path.c_str(), R_OK | W_OK) == 0 || errno == ENOENT;
  bool dir_ok = ::access(dir.c_str(), W_OK | X_OK) == 0;
  if (file_ok && dir_ok) return {};
  struct stat st {};
  const std::string& shown = file_ok ? dir : path;
  std::string owner = "?", mode = "?";
  if (::stat(shown.c_str(), &st) == 0) {
    owner = user_name(st.st_uid) + ":" + group_name(st.st_gid);
    char m[8];
    std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    mode = m;
  }
  std::string me = user_name(::geteuid());
  std::string desk_user = owner.substr(0, owner.find(':'));
  std::string desk_group = owner.substr(owner.find(':') + 1);
  return "deskmail: " + std::string(file_ok ? "the directory " : "the database ") + shown + " (" +
         owner + ", mode " + mode + ") is not " + (file_ok ? "writable" : "readable and writable") +
         " by user " + me + ".\n" + "  run the command as the desk's user:   sudo -u " + desk_user +
         " deskmail ...\n" + "  or give " + me + " the desk's group:  sudo adduser " + me + " " +
         desk_group + "  (then log in again)";
}

}  // namespace cli
