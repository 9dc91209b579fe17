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
//
// Only in builds configured with the meson option fault_points (the default,
// for the test suites); a package (-Dfault_points=false) or any
// --buildtype=release build compiles every point to nothing and ignores the
// variable.
#pragma once

#ifndef DESKMAIL_FAULT_POINTS
#error "DESKMAIL_FAULT_POINTS must be 0 or 1 (set by meson.build from the fault_points option)"
#endif

#include <cstdlib>

#if DESKMAIL_FAULT_POINTS
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#endif

namespace common {

/// True when this build has the crash points (DESKMAIL_FAULT is read).
inline constexpr bool kFaultPoints = DESKMAIL_FAULT_POINTS != 0;

#if DESKMAIL_FAULT_POINTS

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

#else

/// Without fault points: never due, so `if (fault_due(...))` compiles away.
constexpr bool fault_due(const char*) noexcept {
  return false;
}

/// Never reached without fault points (fault_due() is never true).
[[noreturn]] inline void fault_die() noexcept {
  std::abort();
}

#endif

/// Dies here when the plan says so (see the list above).
inline void fault_point([[maybe_unused]] const char* name) {
  if (fault_due(name)) fault_die();
}

}  // namespace common
