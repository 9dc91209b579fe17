// queue_id.h: the id of one delivery, like Postfix's long queue ids: it
// starts every log line of the delivery and ends its LMTP replies, so that
// the MTA's status=sent line and deskmaild's line share it.
#pragma once

#include <cstdint>
#include <string>

namespace common {

/// A new id of 13 characters [0-9A-V]: 11 of the microseconds since 1970
/// in base 32 (strictly increasing within the process, so ids sort by time
/// and never repeat across restarts while the clock moves forward), and 2 of
/// the process id, which keeps two instances on one host apart.
std::string new_queue_id();

/// The same for a given time and process id (for tests).
std::string queue_id_of(std::uint64_t micros, std::uint32_t pid);

}  // namespace common
