// log_section.cc: the log: section of deskmail.yaml (deskmaild(8), LOGGING).
#include <cctype>
#include <map>

#include "config/checker.h"
#include "config/config.h"

namespace config {

int facility_code(const std::string& name) {
  static const std::map<std::string, int> kCodes = {{"user", 1},    {"mail", 2},    {"daemon", 3},
                                                    {"local0", 16}, {"local1", 17}, {"local2", 18},
                                                    {"local3", 19}, {"local4", 20}, {"local5", 21},
                                                    {"local6", 22}, {"local7", 23}};
  auto it = kCodes.find(name);
  return it == kCodes.end() ? -1 : it->second;
}

namespace detail {

namespace {

// Like Postfix's syslog_name: "deskmaild", "deskmail/eu".
bool valid_syslog_name(const std::string& s) {
  if (s.empty() || s.size() > 48) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '-' && c != '_' &&
        c != '.')
      return false;
  return true;
}

}  // namespace

void log_section(Checker& ck, const YAML::Node& n, Log& out) {
  ck.map(n, "log",
         {{"to",
           [&](const YAML::Node& v) {
             std::string t;
             if (!ck.string(v, "log.to", t)) return;
             if (t == "stderr")
               out.to = Log::To::stderr_stream;
             else if (t == "syslog")
               out.to = Log::To::syslog;
             else
               ck.error(v, "log.to must be stderr or syslog");
           }},
          {"facility",
           [&](const YAML::Node& v) {
             if (ck.string(v, "log.facility", out.facility) && facility_code(out.facility) < 0)
               ck.error(v, "log.facility must be mail, daemon, user or local0 to local7");
           }},
          {"socket",
           [&](const YAML::Node& v) {
             if (ck.string(v, "log.socket", out.socket) &&
                 (out.socket.empty() || out.socket[0] != '/' || out.socket.size() > 100))
               ck.error(v, "log.socket must be an absolute path (at most 100 bytes)");
           }},
          {"syslog_name", [&](const YAML::Node& v) {
             if (ck.string(v, "log.syslog_name", out.syslog_name) &&
                 !valid_syslog_name(out.syslog_name))
               ck.error(v, "log.syslog_name must be a name like deskmaild or deskmail/eu");
           }}});
}

}  // namespace detail

}  // namespace config
