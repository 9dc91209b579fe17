// fault.h: named crash points for the crash-exactness tests (issue 8).
//
// With DESKMAIL_FAULT="NAME:N" in its environment, the process kills itself
// with SIGKILL the N-th time it passes the point NAME. Points:
//   after_parse    the message is parsed, nothing is stored yet
//   before_commit  the transaction is written, COMMIT not yet sent
//   after_commit   COMMIT returned, the MTA has not heard 250
//   mid_reply      half of the replies after DATA are written
//   outbox_sent    the relay said 250, the outbox row is not marked sent
// Without the variable each point costs one load and one branch.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace common {

namespace detail {
struct FaultPlan {
  std::string name;
  long at = 0;
  std::atomic<long> seen{0};
  FaultPlan() {
    const char* env = std::getenv("DESKMAIL_FAULT");
    if (!env) return;
    const char* colon = std::strchr(env, ':');
    if (!colon) return;
    name.assign(env, colon);
    at = std::strtol(colon + 1, nullptr, 10);
  }
};
inline FaultPlan& fault_plan() {
  static FaultPlan plan;
  return plan;
}
}  // namespace detail

/// True when this pass of `name` is the one the plan names.
inline bool fault_due(const char* name) {
  auto& p = detail::fault_plan();
  if (p.at <= 0 || p.name != name) return false;
  return p.seen.fetch_add(1) + 1 == p.at;
}

/// Dies at once, as a power cut or the OOM killer would: no destructors,
/// no flushing, no COMMIT or ROLLBACK.
[[noreturn]] inline void fault_die() {
  ::kill(::getpid(), SIGKILL);
  std::_Exit(137);
}

inline void fault_point(const char* name) {
  if (fault_due(name)) fault_die();
}

}  // namespace common
