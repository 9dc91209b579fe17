// queue_id.cc: delivery ids (queue_id.h).
#include "common/queue_id.h"

#include <unistd.h>

#include <atomic>
#include <chrono>

namespace common {

namespace {

constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

void base32(std::uint64_t v, int width, std::string& out) {
  std::string s(static_cast<std::size_t>(width), '0');
  for (int i = width - 1; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = kDigits[v & 31];
    v >>= 5;
  }
  out += s;
}

}  // namespace

std::string queue_id_of(std::uint64_t micros, std::uint32_t pid) {
  std::string id;
  id.reserve(13);
  base32(micros, 11, id);
  base32(pid & 1023, 2, id);
  return id;
}

std::string new_queue_id() {
  static std::atomic<std::uint64_t> last{0};
  auto now = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  // Two deliveries in one microsecond: the second takes the next one.
  std::uint64_t prev = last.load();
  std::uint64_t mine;
  do {
    mine = now > prev ? now : prev + 1;
  } while (!last.compare_exchange_weak(prev, mine));
  static const auto pid = static_cast<std::uint32_t>(::getpid());
  return queue_id_of(mine, pid);
}

}  // namespace common
