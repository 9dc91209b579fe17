// spool.h: where a message's data goes while it arrives (issue 7). The
// first `memory` bytes stay in memory; beyond that the data is written to an
// unlinked file in `dir` (O_TMPFILE), so that many large messages arriving at
// once hold one buffer each, not their whole size. take() reads it back into
// one string of exactly its size (a growing std::string doubles: a 25 MB
// message took a 41 MB buffer), or take_bytes() maps the file instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace common {

class Spool {
 public:
  Spool(std::size_t memory, std::string dir) : memory_(memory), dir_(std::move(dir)) {}
  ~Spool() { clear(); }
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  void append(std::string_view s);
  void append(char c) {
    buf_ += c;
    if (buf_.size() >= memory_ && memory_ > 0) flush();
  }
  /// Bytes appended since the last clear() or take().
  std::uint64_t size() const { return on_disk_ + buf_.size(); }
  /// True when the spool file could not be made or written (disk full): the
  /// data is gone and the transaction must get a temporary failure.
  bool failed() const { return failed_; }
  bool spooled() const { return fd_ >= 0; }
  /// Opens a new unnamed file in `dir` (O_TMPFILE; a named file unlinked at
  /// once where the file system has no O_TMPFILE). -1 and errno on failure.
  static int open_file(const std::string& dir);
  /// Forgets the data (file closed, buffer freed when it was large).
  void clear();
  /// All the data, in a string of exactly its size; then clear().
  std::string take();
  /// All the data; then clear(). Spooled data stays in its file, mapped
  /// read-only (read back into memory if it cannot be mapped); the rest is
  /// the buffer itself. Null when the spool failed.
  BytesPtr take_bytes();

 private:
  void flush();

  std::size_t memory_;
  std::string dir_;
  std::string buf_;
  int fd_ = -1;
  std::uint64_t on_disk_ = 0;
  bool failed_ = false;
};

}  // namespace common
