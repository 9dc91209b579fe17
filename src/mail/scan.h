// scan.h: a linear pre-scan of a received message, before GMime sees it.
// It enforces the structural limits of DESIGN.md section 8 in bounded time
// and memory (no recursion, no per-part allocation beyond one boundary
// string), and collects the top-level header fields in order for the spam
// and loop checks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/defaults.h"

namespace mail {

/// Defaults from common/defaults.h (the daemon sets them from the config).
struct ScanLimits {
  // bytes of the top-level header block
  std::size_t header_size = common::defaults::header_size.value;
  // fields in any one header block
  std::size_t header_count = common::defaults::header_count.value;
  // bytes in any line
  std::size_t line_length = common::defaults::line_length.value;
  // nesting of multiparts and message/rfc822
  std::size_t mime_depth = common::defaults::mime_depth.value;
  // body parts in all
  std::size_t mime_parts = common::defaults::mime_parts.value;
  // addresses in To, Cc, Bcc, From, Reply-To
  std::size_t header_addresses = common::defaults::header_addresses.value;
  // Received: fields (RFC 5321 6.3 loop detection)
  std::size_t received = common::defaults::received.value;
};

struct Scan {
  enum class Verdict {
    ok,
    too_big_header,
    too_many_headers,
    line_too_long,
    too_deep,
    too_many_parts,
    too_many_addresses,
    too_many_hops
  } verdict = Verdict::ok;
  std::string detail;  // human text for the reply and the log
  /// Top-level header fields in order: name as sent, value unfolded.
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t received = 0;
  std::size_t parts = 0;
  std::size_t depth = 0;
};

Scan scan(std::string_view raw, const ScanLimits& limits);
/// The same over a message's Bytes, releasing what it has read.
Scan scan(const common::Bytes& raw, const ScanLimits& limits);

/// The value of the first top-level field `name` (case-insensitive), or "".
std::string first_header(const Scan& s, std::string_view name);

/// `raw` without the top-level header fields whose names start with `prefix`
/// (case-insensitive), e.g. our own "X-Deskmail-" headers at ingress.
std::string strip_headers(std::string_view raw, std::string_view prefix, bool* stripped = nullptr);

}  // namespace mail
