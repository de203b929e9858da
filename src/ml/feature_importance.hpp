#pragma once
// What the tree models learned from: XGBoost's total gain per feature column (the summed
// loss reduction of every split on it), under the FeatureBuilder's readable column names,
// largest first. For the agent_selector (which sees FeatureBuilder::selector_columns() only)
// and the performance_predictor's log-time and log-cost boosters.
#include <string>
#include <vector>

#include "core/status.hpp"
#include "ml/model_set.hpp"

namespace agentlearn::ml {

struct FeatureGain {
  std::string feature;
  double gain = 0;
};

// The `limit` columns with the most gain (columns without gain are left out), largest first.
std::vector<FeatureGain> top_features(const std::vector<std::string>& names, const std::vector<double>& gains,
                                      size_t limit);

// The agent_selector's columns by total gain.
StatusOr<std::vector<FeatureGain>> selector_importance(const ModelSet& set, size_t limit = 15);
// The performance_predictor's log-time booster (`cost` false) or log-cost booster (true;
// empty when the set has no cost model).
StatusOr<std::vector<FeatureGain>> predictor_importance(const ModelSet& set, bool cost, size_t limit = 15);

}  // namespace agentlearn::ml
