#include "store/write_plan.hpp"

#include <fmt/format.h>

#include <string_view>
#include <unordered_map>
#include <utility>

namespace agentlearn {

std::vector<int64_t> WritePlan::resolve(size_t r, const std::vector<int64_t>& inserted_ids) const {
  const auto& refs = requests[r].refs;
  std::vector<int64_t> out(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    out[i] = refs[i] > 0 ? refs[i] : inserted_ids.at(static_cast<size_t>(-refs[i] - 1));
  }
  return out;
}

std::vector<std::string> execution_ids_of(std::span<const std::span<const Execution>> requests) {
  std::vector<std::string> ids;
  for (const auto& records : requests) {
    for (const auto& e : records) {
      if (e.execution_id) ids.push_back(*e.execution_id);
    }
  }
  return ids;
}

WritePlan plan_group_write(std::span<const std::span<const Execution>> requests, const std::vector<std::string>& ids,
                           const std::vector<std::optional<ExistingExecution>>& existing) {
  // What each execution_id resolves to so far: a stored row, or a row this group inserts (by
  // its index in to_insert, the id known after the insert).
  struct Known {
    std::string_view hash;
    int64_t stored_id;    // > 0 when already in the store
    size_t insert_index;  // when stored_id == 0
  };
  std::unordered_map<std::string_view, Known> known;
  for (size_t i = 0; i < ids.size() && i < existing.size(); ++i) {
    if (existing[i]) known.emplace(ids[i], Known{existing[i]->content_hash, existing[i]->id, 0});
  }
  WritePlan plan;
  plan.requests.resize(requests.size());
  for (size_t g = 0; g < requests.size(); ++g) {
    const auto& records = requests[g];
    auto& out = plan.requests[g];
    out.refs.resize(records.size());
    out.duplicate.resize(records.size());
    // Records this request adds, kept apart until the request is known to be conflict-free.
    std::vector<std::pair<std::string_view, Known>> added;
    std::unordered_map<std::string_view, size_t> added_index;
    const size_t first_new = plan.to_insert.size();
    for (size_t r = 0; r < records.size(); ++r) {
      const Execution& e = records[r];
      if (e.execution_id) {
        const std::string_view id = *e.execution_id;
        const Known* k = nullptr;
        if (auto it = known.find(id); it != known.end()) k = &it->second;
        if (auto it = added_index.find(id); it != added_index.end()) k = &added[it->second].second;
        if (k) {
          if (k->hash != e.content_hash) {
            out.conflicts.push_back({r, "execution_id",
                                     fmt::format("execution_id '{}' was already recorded with different content", id)});
          } else {
            out.refs[r] = k->stored_id > 0 ? k->stored_id : -static_cast<int64_t>(k->insert_index + 1);
            out.duplicate[r] = true;
          }
          continue;
        }
        added_index.emplace(id, added.size());
        added.emplace_back(id, Known{e.content_hash, 0, plan.to_insert.size()});
      }
      out.refs[r] = -static_cast<int64_t>(plan.to_insert.size() + 1);
      plan.to_insert.push_back(&e);
    }
    if (!out.conflicts.empty()) {
      plan.to_insert.resize(first_new);  // this request stores nothing
      continue;
    }
    for (auto& [id, k] : added) known.emplace(id, k);
  }
  return plan;
}

}  // namespace agentlearn
