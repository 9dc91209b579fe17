// spool.cc: the spool file.
#include "common/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace common {

void Spool::append(std::string_view s) {
  if (failed_) return;
  buf_.append(s);
  if (memory_ > 0 && buf_.size() >= memory_) flush();
}

int Spool::open_file(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A file system without O_TMPFILE: a named file, unlinked at once.
    std::string path = dir + "/deskmail-spool." + std::string(6, 'X');  // mkstemp
    fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(path.c_str());
  }
  return fd;
}

void Spool::flush() {
  if (failed_) {
    buf_.clear();
    return;
  }
  if (fd_ < 0) {
    fd_ = open_file(dir_);
    if (fd_ < 0) {
      failed_ = true;
      buf_.clear();
      return;
    }
  }
  const char* p = buf_.data();
  std::size_t left = buf_.size();
  while (left > 0) {
    ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(on_disk_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed_ = true;
      buf_.clear();
      return;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
    on_disk_ += static_cast<std::uint64_t>(n);
  }
  buf_.clear();  // keeps its capacity: the next memory_ bytes
}

void Spool::clear() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  on_disk_ = 0;
  failed_ = false;
  if (buf_.capacity() > memory_ + 4096)
    std::string().swap(buf_);
  else
    buf_.clear();
}

std::string Spool::take() {
  if (fd_ < 0 || failed_) {
    std::string out = failed_ ? std::string() : std::move(buf_);
    clear();
    return out;
  }
  std::string out;
  out.resize(static_cast<std::size_t>(on_disk_) + buf_.size());  // exactly
  std::size_t got = 0;
  while (got < on_disk_) {
    ssize_t n = ::pread(fd_, out.data() + got, static_cast<std::size_t>(on_disk_) - got,
                        static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      clear();
      failed_ = true;
      return {};
    }
    got += static_cast<std::size_t>(n);
  }
  std::copy(buf_.begin(), buf_.end(), out.begin() + static_cast<std::ptrdiff_t>(on_disk_));
  clear();
  return out;
}

BytesPtr Spool::take_bytes() {
  if (fd_ >= 0) {
    flush();  // the tail still in memory: then the file holds everything
    int fd = failed_ ? -1 : ::dup(fd_);
    if (fd >= 0) {
      if (auto b = Bytes::map_file(fd, static_cast<std::size_t>(on_disk_))) {
        clear();
        return b;
      }
    }
  }
  if (failed_) {  // a write failed: the data is gone
    clear();
    return nullptr;
  }
  std::string s = take();  // in memory, or a file that cannot be mapped
  if (failed_) return nullptr;
  return bytes_of(std::move(s));
}

}  // namespace common
