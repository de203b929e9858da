#include "ml/policies/registry.hpp"

#include <functional>

#include "ml/policies/agent_group_rule.hpp"
#include "ml/policies/ensemble.hpp"
#include "ml/policies/selector_model.hpp"

namespace agentlearn::ml {

namespace {

using Maker = std::function<std::unique_ptr<const RoutingPolicy>(const FeatureBuilder&)>;

// Name -> maker, for the fixed names; the context rules are made per member below.
const std::vector<std::pair<std::string, Maker>>& fixed_policies() {
  static const std::vector<std::pair<std::string, Maker>> table = {
      {"best_single", [](const FeatureBuilder& f) { return std::make_unique<AgentGroupRule>(f, 0); }},
      {"task_type", [](const FeatureBuilder& f) { return std::make_unique<AgentGroupRule>(f, 1); }},
      {"model", [](const FeatureBuilder& f) { return std::make_unique<SelectorModel>(f); }},
  };
  return table;
}

}  // namespace

std::vector<std::string> policy_names(const FeatureBuilder& features) {
  std::vector<std::string> out = {"best_single", "task_type"};
  for (size_t g = 2; g < features.agent_group_count(); ++g) out.push_back(features.agent_group_name(g));
  out.push_back("model");
  out.push_back("ensemble");
  return out;
}

StatusOr<std::unique_ptr<const RoutingPolicy>> make_policy(std::string_view name, const FeatureBuilder& features) {
  for (const auto& [fixed, maker] : fixed_policies()) {
    if (fixed == name) return maker(features);
  }
  if (name == "ensemble") {
    std::vector<std::unique_ptr<const RoutingPolicy>> members;
    for (const auto& member : policy_names(features)) {
      if (member == "ensemble") continue;
      auto policy = make_policy(member, features);
      members.push_back(std::move(*policy));
    }
    return std::unique_ptr<const RoutingPolicy>(std::make_unique<Ensemble>(features, std::move(members)));
  }
  for (size_t g = 2; g < features.agent_group_count(); ++g) {
    if (features.agent_group_name(g) == name) {
      return std::unique_ptr<const RoutingPolicy>(std::make_unique<AgentGroupRule>(features, g));
    }
  }
  std::string known;
  for (const auto& n : policy_names(features)) known += (known.empty() ? "" : ", ") + n;
  return Status::NotFound("no routing policy is named '" + std::string(name) + "' (known: " + known + ")");
}

std::vector<std::unique_ptr<const RoutingPolicy>> make_all_policies(const FeatureBuilder& features) {
  std::vector<std::unique_ptr<const RoutingPolicy>> out;
  for (const auto& name : policy_names(features)) {
    auto policy = make_policy(name, features);
    out.push_back(std::move(*policy));
  }
  return out;
}

}  // namespace agentlearn::ml
