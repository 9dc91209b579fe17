// memory_hooks.h: the hook repository over memory::State (memory_store.cc
// only): bindings of repositories to projects, the (commit, issue) pairs and
// webhook deliveries acted on.
#pragma once

#include <algorithm>

#include "memory_store.h"

namespace memory::detail {

class Hooks final : public store::HookRepo {
 public:
  explicit Hooks(State& s) : s_(s) {}
  std::int64_t add(const store::HookBinding& b) override {
    for (const auto& h : s_.hooks)
      if (h.project_id == b.project_id && h.forge == b.forge && h.repo == b.repo)
        throw store::Error("the project already has a " + b.forge + " hook for " + b.repo);
    store::HookBinding row = b;
    row.id = s_.next_id++;
    s_.hooks.push_back(row);
    return row.id;
  }
  std::vector<store::HookBinding> list(std::optional<std::int64_t> project_id) override {
    std::vector<store::HookBinding> out;
    for (const auto& h : s_.hooks)
      if (!project_id || h.project_id == *project_id) out.push_back(with_path(h));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.project_path, a.forge, a.repo) < std::tie(b.project_path, b.forge, b.repo);
    });
    return out;
  }
  bool remove(std::int64_t project_id, const std::string& forge, const std::string& repo) override {
    auto it = std::find_if(s_.hooks.begin(), s_.hooks.end(), [&](const store::HookBinding& h) {
      return h.project_id == project_id && h.forge == forge && h.repo == repo;
    });
    if (it == s_.hooks.end()) return false;
    s_.hooks.erase(it);
    return true;
  }
  std::vector<store::HookBinding> find(const std::string& forge, const std::string& repo) override {
    std::vector<store::HookBinding> out;
    for (const auto& h : list(std::nullopt))
      if (h.forge == forge && h.repo == repo) out.push_back(h);
    return out;
  }
  bool claim_commit(const std::string& commit, std::int64_t issue_id, const std::string& action,
                    std::int64_t) override {
    return s_.fix_commits.emplace(std::make_pair(commit, issue_id), action).second;
  }
  bool claim_delivery(std::int64_t hook_id, const std::string& delivery, std::int64_t) override {
    return s_.deliveries.emplace(hook_id, delivery).second;
  }

 private:
  store::HookBinding with_path(store::HookBinding h) {
    for (const auto& p : s_.projects)
      if (p.id == h.project_id) h.project_path = p.path;
    return h;
  }
  State& s_;
};

}  // namespace memory::detail
