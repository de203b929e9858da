#include "service/context_stats.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>

namespace agentlearn {

namespace {
// The member's value as a category label, or false when it is none.
bool category_of(const nlohmann::json& v, std::string& out) {
  if (v.is_string()) {
    out = v.get<std::string>();
  } else if (v.is_boolean()) {
    out = v.get<bool>() ? "true" : "false";
  } else if (v.is_number()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::abs(d) > ContextStats::kMaxWholeNumber) return false;
    out = std::to_string(static_cast<long long>(d));
  } else {
    return false;
  }
  return !out.empty() && out.size() <= ContextStats::kMaxValueBytes;
}
}  // namespace

void ContextStats::add(std::span<const Execution> rows) {
  std::unique_lock lock(mu_);
  std::string label;
  for (const Execution& e : rows) {
    if (e.context_json.size() < 3) continue;  // "{}" or nothing
    auto context = nlohmann::json::parse(e.context_json, nullptr, false);
    if (!context.is_object()) continue;
    for (const auto& [key, value] : context.items()) {
      if (!category_of(value, label)) continue;
      auto k = keys_.find(key);
      if (k == keys_.end()) {
        if (keys_.size() >= kMaxKeys || key.size() > kMaxValueBytes) continue;
        k = keys_.emplace(key, std::map<std::string, Value, std::less<>>{}).first;
      }
      auto v = k->second.find(label);
      if (v == k->second.end()) {
        if (k->second.size() >= kMaxValues) continue;
        v = k->second.emplace(label, Value{}).first;
      }
      Value& slot = v->second;
      slot.all.runs += 1;
      slot.all.successes += e.success ? 1 : 0;
      Counts& mine = slot.by_agent[e.agent_id];
      mine.runs += 1;
      mine.successes += e.success ? 1 : 0;
    }
  }
}

std::vector<ContextRecord> ContextStats::agent(const std::string& agent_id) const {
  std::shared_lock lock(mu_);
  std::vector<ContextRecord> out;
  for (const auto& [key, values] : keys_) {
    for (const auto& [label, v] : values) {
      auto a = v.by_agent.find(agent_id);
      if (a == v.by_agent.end()) continue;
      ContextRecord r;
      r.key = key;
      r.value = label;
      r.runs = a->second.runs;
      r.successes = a->second.successes;
      r.success_rate = static_cast<double>(r.successes) / static_cast<double>(r.runs);
      r.all_runs = v.all.runs;
      r.all_successes = v.all.successes;
      r.all_success_rate = static_cast<double>(r.all_successes) / static_cast<double>(r.all_runs);
      out.push_back(std::move(r));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const ContextRecord& x, const ContextRecord& y) {
    return x.success_rate - x.all_success_rate > y.success_rate - y.all_success_rate;
  });
  return out;
}

}  // namespace agentlearn
