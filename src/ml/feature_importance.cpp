#include "ml/feature_importance.hpp"

#include <algorithm>

namespace agentlearn::ml {

namespace {
constexpr const char* kImportance = "total_gain";
}

std::vector<FeatureGain> top_features(const std::vector<std::string>& names, const std::vector<double>& gains,
                                      size_t limit) {
  std::vector<FeatureGain> out;
  for (size_t i = 0; i < gains.size() && i < names.size(); ++i) {
    if (gains[i] > 0) out.push_back({names[i], gains[i]});
  }
  std::stable_sort(out.begin(), out.end(), [](const FeatureGain& a, const FeatureGain& b) { return a.gain > b.gain; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

StatusOr<std::vector<FeatureGain>> selector_importance(const ModelSet& set, size_t limit) {
  auto gains = set.agent_selector().model().feature_scores(kImportance);
  if (!gains.ok()) return gains.status();
  const std::vector<std::string> all = set.features().names();
  std::vector<std::string> names;
  for (size_t c : set.features().selector_columns()) names.push_back(c < all.size() ? all[c] : "column " + std::to_string(c));
  if (names.size() != gains->size()) return Status::Internal("the selector's columns do not match its features");
  return top_features(names, *gains, limit);
}

StatusOr<std::vector<FeatureGain>> predictor_importance(const ModelSet& set, bool cost, size_t limit) {
  const XgbModel& model = cost ? set.performance_predictor().cost_model() : set.performance_predictor().time_model();
  if (!model.trained()) return std::vector<FeatureGain>{};
  auto gains = model.feature_scores(kImportance);
  if (!gains.ok()) return gains.status();
  const std::vector<std::string> names = set.features().names();
  if (names.size() != gains->size()) return Status::Internal("the predictor's columns do not match its features");
  return top_features(names, *gains, limit);
}

}  // namespace agentlearn::ml
