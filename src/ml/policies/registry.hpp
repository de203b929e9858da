#pragma once
// The policies by name. Which exist depends on what a set learned: one rule per categorical
// context member its features kept.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ml/policies/policy.hpp"
#include "ml/task_features.hpp"

namespace agentlearn::ml {

// Every policy a set with these features can serve, simplest first: "best_single",
// "task_type", "context.<member>" for each categorical member, "model".
std::vector<std::string> policy_names(const FeatureBuilder& features);

// The policy of that name over these features (which must outlive it); kNotFound, naming
// the known policies, for any other name.
StatusOr<std::unique_ptr<const RoutingPolicy>> make_policy(std::string_view name, const FeatureBuilder& features);

// Every policy of policy_names(), in that order.
std::vector<std::unique_ptr<const RoutingPolicy>> make_all_policies(const FeatureBuilder& features);

}  // namespace agentlearn::ml
