// deadline.cc: the calling thread's time limit on units of work (see
// store.h, Deadline). The connections read it (connection.cc, pool.cc).
#include "store/store.h"

namespace store {

namespace {

thread_local std::optional<Deadline::Clock::time_point> t_deadline;

}  // namespace

Deadline::Deadline(Clock::duration within) : previous_(t_deadline) {
  auto at = Clock::now() + within;
  t_deadline = previous_ ? std::min(*previous_, at) : at;
}

Deadline::~Deadline() {
  t_deadline = previous_;
}

std::optional<Deadline::Clock::time_point> Deadline::current() {
  return t_deadline;
}

}  // namespace store
