// memory_labels.h: the label repository over memory::State (memory_store.cc).
#pragma once

#include <algorithm>
#include <tuple>

#include "memory_store.h"

namespace memory::detail {

class Labels final : public store::LabelRepo {
 public:
  explicit Labels(State& s) : s_(s) {}
  std::vector<store::Label> list(std::int64_t project_id) override {
    std::vector<const LabelRow*> rows;
    for (const auto& l : s_.labels)
      if (l.project_id == project_id) rows.push_back(&l);
    std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) {
      return std::tie(a->key, a->name) < std::tie(b->key, b->name);
    });
    std::vector<store::Label> out;
    for (auto* l : rows) out.push_back({l->id, l->name, l->colour});
    return out;
  }
  std::int64_t add(std::int64_t project_id, const std::string& name, const std::string& key,
                   const std::string& colour) override {
    for (const auto& l : s_.labels)
      if (l.project_id == project_id && l.key == key)
        throw store::Error("the project has a label " + name + " already");
    s_.labels.push_back({s_.next_id++, project_id, name, key, colour});
    return s_.labels.back().id;
  }
  void remove(std::int64_t label_id) override {
    std::erase_if(s_.labels, [&](const LabelRow& l) { return l.id == label_id; });
    std::erase_if(s_.issue_labels, [&](const auto& il) { return il.second == label_id; });
  }
  std::vector<std::int64_t> on_issue(std::int64_t issue_id) override {
    std::vector<std::int64_t> out;
    for (const auto& [i, l] : s_.issue_labels)
      if (i == issue_id) out.push_back(l);
    return out;
  }
  void attach(std::int64_t issue_id, std::int64_t label_id) override {
    s_.issue_labels.insert({issue_id, label_id});
  }
  void detach(std::int64_t issue_id, std::int64_t label_id) override {
    s_.issue_labels.erase({issue_id, label_id});
  }

 private:
  State& s_;
};

}  // namespace memory::detail
