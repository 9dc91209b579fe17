// fragment_cache.h: pieces of a page already rendered, looked up by
// everything that went into them.
//
// A queue page is fifty rows, and most rows look the same from one view to
// the next (the same issue, unchanged, seen by the next responder or the
// next refresh). Rendering a row through kainjow costs a dozen strings and
// a map lookup per variable; its key, the row's values joined, costs one
// string. The key holds every input of the fragment, so a hit is exactly
// what rendering would give: nothing is ever stale, there is nothing to
// invalidate, and a changed issue simply has a new key.
//
// Bounded: two generations of at most `capacity` entries each. When the
// current one is full it becomes the previous one (the one before is
// dropped); a hit in the previous generation moves to the current one, so
// what is used stays and what is not is gone after two turns.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>

namespace web {

class FragmentCache {
 public:
  explicit FragmentCache(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

  /// The fragment for `key`, or nullptr.
  const std::string* find(const std::string& key) {
    if (auto it = current_.find(key); it != current_.end()) return &it->second;
    auto old = previous_.find(key);
    if (old == previous_.end()) return nullptr;
    std::string html = std::move(old->second);
    previous_.erase(old);
    return &put(key, std::move(html));
  }

  /// Keeps `html` as the fragment for `key`; returns the kept copy.
  const std::string& put(const std::string& key, std::string html) {
    if (current_.size() >= capacity_) {
      previous_ = std::move(current_);
      current_ = {};
      current_.reserve(capacity_);
    }
    return current_.insert_or_assign(key, std::move(html)).first->second;
  }

  std::size_t size() const { return current_.size() + previous_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_map<std::string, std::string> current_, previous_;
};

}  // namespace web
