#pragma once
// agent_selector: P(success | task features, agent), a random forest (XGBoost's random-forest
// mode: one boosting round of `n_estimators` parallel trees on bootstrap-like row samples
// and per-split column samples). Rows come from the FeatureBuilder.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ml/dense_matrix.hpp"
#include "ml/xgboost_model.hpp"

namespace agentlearn::ml {

struct AgentSelectorParams {
  int n_estimators = 100;
  int max_depth = 10;
  double subsample = 0.632;        // rows per tree, like a bootstrap's distinct share
  double colsample_bynode = 0.5;   // features tried per split
  double min_child_weight = 2;     // in hessian units: p(1-p) per row, about 8 rows
  int threads = 2;
  uint64_t seed = 42;
};

class AgentSelector {
 public:
  // `monotone`: per column +1 (P(success) non-decreasing in it), -1, or 0; empty: none.
  static StatusOr<AgentSelector> train(const DenseMatrix& x, std::span<const bool> success,
                                       const AgentSelectorParams& params, std::span<const int> monotone = {});
  // P(success) per row; thread-safe.
  Status predict(const DenseMatrix& x, std::vector<float>& out) const;
  const AgentSelectorParams& params() const { return params_; }
  std::string serialize() const;
  static StatusOr<AgentSelector> deserialize(std::string_view blob);

 private:
  AgentSelectorParams params_;
  XgbModel model_;
};

}  // namespace agentlearn::ml
