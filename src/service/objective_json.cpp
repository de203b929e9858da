#include "service/objective_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace agentlearn {

StatusOr<ml::Objective> objective_from_json(const nlohmann::json& value, std::string_view field_prefix) {
  const std::string prefix(field_prefix);
  if (!value.is_object()) return Status::Invalid(prefix + " must be a JSON object", prefix);
  ml::Objective o;
  for (const auto& [key, v] : value.items()) {
    const std::string field = prefix + "." + key;
    double* weight = key == "cost_weight"            ? &o.cost_weight
                     : key == "time_weight"          ? &o.time_weight
                     : key == "relative_cost_weight" ? &o.relative_cost_weight
                                                     : nullptr;
    std::optional<double>* limit = key == "max_cost"           ? &o.max_cost
                                   : key == "max_time"         ? &o.max_time
                                   : key == "max_quality_loss" ? &o.max_quality_loss
                                                               : nullptr;
    if (!weight && !limit) {
      return Status::Invalid(
          "unknown member; expected cost_weight, relative_cost_weight, time_weight, max_cost, max_time or "
          "max_quality_loss",
          field);
    }
    if (v.is_null()) continue;
    if (!v.is_number()) return Status::Invalid("must be a number", field);
    double d = v.get<double>();
    if (!std::isfinite(d) || d < 0) return Status::Invalid("must be a finite number >= 0", field);
    if (key == "max_quality_loss" && d > 1) return Status::Invalid("must be a probability, from 0 to 1", field);
    if (weight) *weight = d;
    else *limit = d;
  }
  return o;
}

}  // namespace agentlearn
