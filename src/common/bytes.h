// bytes.h: a received message's bytes, shared read-only between the threads
// that scan, parse, hash and store it (issue 7). Small messages are a string
// in memory. A large one stays in its spool file, mapped read-only: every
// pass over it (scan, MIME parse, hashes, the raw blob) reads it front to
// back and calls release() behind itself, so its pages leave the process's
// resident memory as soon as they are read, as with read(2) into a small
// buffer. A 25 MB message held whole cost its size in RSS.
//
// release() is a hint and nothing more: the pages of a mapping are the
// file's, so a page released and read again comes back from the page cache
// (or the disk) unchanged. Nothing depends on when, or whether, it is called.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace common {

class Bytes {
 public:
  /// Bytes in memory.
  explicit Bytes(std::string s) : str_(std::move(s)), data_(str_.data()), size_(str_.size()) {}

  /// The first `size` bytes of the file `fd`, mapped read-only. The fd is
  /// closed in any case (the mapping keeps the file). Null and errno when it
  /// cannot be mapped; a file that is empty gives an empty Bytes.
  static std::shared_ptr<const Bytes> map_file(int fd, std::size_t size) {
    if (size == 0) {
      ::close(fd);
      return std::make_shared<const Bytes>(std::string());
    }
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    int err = errno;
    ::close(fd);
    if (p == MAP_FAILED) {
      errno = err;
      return nullptr;
    }
    std::shared_ptr<Bytes> b(new Bytes());
    b->map_ = p;
    b->data_ = static_cast<const char*>(p);
    b->size_ = size;
    return b;
  }

  ~Bytes() {
    if (map_) ::munmap(map_, size_);
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;

  std::string_view view() const { return {data_, size_}; }
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool mapped() const { return map_ != nullptr; }
  /// The bytes as a string: the string itself when in memory, a copy of a
  /// mapping (for the few callers that must bind a std::string).
  std::string copy() const { return std::string(view()); }
  /// The string in memory, or null for a mapping.
  const std::string* string() const { return map_ ? nullptr : &str_; }

  /// The bytes before `end` are not read again soon: a mapping's whole pages
  /// among them leave this process's resident memory. No-op in memory.
  void release(std::size_t end) const {
    if (!map_) return;
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::size_t n = std::min(end, size_) / page * page;
    if (n > 0) ::madvise(map_, n, MADV_DONTNEED);
  }

  /// How far a reader goes between two release() calls.
  static constexpr std::size_t kReleaseStep = std::size_t{1} << 20;

  /// A front-to-back pass over these bytes has read up to `p`: once that is
  /// kReleaseStep past `mark` (the pass's own, set where it starts),
  /// release() everything before `p` and move `mark` there.
  void passed(const char* p, const char*& mark) const {
    if (!map_ || static_cast<std::size_t>(p - mark) < kReleaseStep) return;
    release(static_cast<std::size_t>(p - data_));
    mark = p;
  }

 private:
  Bytes() = default;
  std::string str_;
  void* map_ = nullptr;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

using BytesPtr = std::shared_ptr<const Bytes>;

inline BytesPtr bytes_of(std::string s) {
  return std::make_shared<const Bytes>(std::move(s));
}

}  // namespace common
