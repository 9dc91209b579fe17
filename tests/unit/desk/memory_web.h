// memory_web.h: the web desk's sign-in links and sessions over memory::State
// (memory_store.cc only).
#pragma once

#include "memory_store.h"

namespace memory::detail {

class Web final : public store::WebRepo {
 public:
  explicit Web(State& s) : s_(s) {}
  void add_link(const std::string& hash, const std::string& email, const std::string& client,
                std::int64_t at, std::int64_t expires_at) override {
    s_.web_links[hash] = {email, client, at, expires_at, std::nullopt};
  }
  std::int64_t links_for_email(const std::string& email, std::int64_t since) override {
    std::int64_t n = 0;
    for (const auto& [h, l] : s_.web_links) n += l.email == email && l.created_at > since;
    return n;
  }
  std::int64_t links_from_client(const std::string& client, std::int64_t since) override {
    std::int64_t n = 0;
    for (const auto& [h, l] : s_.web_links) n += l.client == client && l.created_at > since;
    return n;
  }
  std::optional<store::WebLink> link(const std::string& hash) override {
    auto it = s_.web_links.find(hash);
    if (it == s_.web_links.end()) return std::nullopt;
    return store::WebLink{it->second.email, it->second.created_at, it->second.expires_at,
                          it->second.used_at};
  }
  std::optional<std::string> use_link(const std::string& hash, std::int64_t at) override {
    auto it = s_.web_links.find(hash);
    if (it == s_.web_links.end() || it->second.used_at || it->second.expires_at <= at)
      return std::nullopt;
    it->second.used_at = at;
    return it->second.email;
  }
  void add_session(const std::string& hash, const store::WebSession& s) override {
    s_.web_sessions[hash] = s;
  }
  std::optional<store::WebSession> session(const std::string& hash, std::int64_t at) override {
    auto it = s_.web_sessions.find(hash);
    if (it == s_.web_sessions.end() || it->second.expires_at <= at) return std::nullopt;
    return it->second;
  }
  void remove_session(const std::string& hash) override { s_.web_sessions.erase(hash); }
  std::int64_t purge(std::int64_t before) override {
    std::int64_t n = 0;
    for (auto it = s_.web_sessions.begin(); it != s_.web_sessions.end();)
      it = it->second.expires_at < before ? (++n, s_.web_sessions.erase(it)) : std::next(it);
    for (auto it = s_.web_links.begin(); it != s_.web_links.end();)
      it = it->second.expires_at < before ? (++n, s_.web_links.erase(it)) : std::next(it);
    return n;
  }

 private:
  State& s_;
};

}  // namespace memory::detail
