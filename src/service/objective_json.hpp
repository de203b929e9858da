#pragma once
// The recommendation `objective` from JSON, validated with the field to blame:
// {"cost_weight"?, "time_weight"?, "max_cost"?, "max_time"?}, each a finite number >= 0.
// Shared by POST /task/recommend and `agentlearn evaluate --objective`.
#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "core/status.hpp"
#include "ml/routing_policy.hpp"

namespace agentlearn {

// `field_prefix` names the object in error fields ("objective" gives "objective.cost_weight").
StatusOr<ml::Objective> objective_from_json(const nlohmann::json& value, std::string_view field_prefix = "objective");

}  // namespace agentlearn
