#pragma once
// performance_predictor: gradient-boosted regression trees (XGBoost) predicting an
// execution's log time and, where the data has costs, its log cost, from the same
// FeatureBuilder rows as the selector.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "ml/dense_matrix.hpp"
#include "ml/xgboost_model.hpp"

namespace agentlearn::ml {

struct PerformancePredictorParams {
  int n_estimators = 50;
  double learning_rate = 0.1;
  int max_depth = 3;       // scikit-learn's GradientBoostingRegressor default
  double subsample = 1.0;
  int min_cost_rows = 20;  // fewer rows with a cost: no cost model
  int threads = 2;
  uint64_t seed = 42;
};

class PerformancePredictor {
 public:
  // `log_times[i]` is row i's log time; `log_costs[i]` its log cost or NaN when unknown.
  static StatusOr<PerformancePredictor> train(const DenseMatrix& x, std::span<const float> log_times,
                                              std::span<const float> log_costs, const PerformancePredictorParams& params);
  // Predicted log time per row; log cost per row when a cost model exists (else NaN).
  Status predict(const DenseMatrix& x, std::vector<float>& log_times, std::vector<float>& log_costs) const;
  bool predicts_cost() const { return cost_.trained(); }
  const PerformancePredictorParams& params() const { return params_; }
  std::string serialize() const;
  static StatusOr<PerformancePredictor> deserialize(std::string_view blob);

 private:
  PerformancePredictorParams params_;
  XgbModel time_;
  XgbModel cost_;
};

}  // namespace agentlearn::ml
