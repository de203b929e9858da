#pragma once
// A trained XGBoost booster behind a small value-like API (train, predict, serialize), over
// the C API of Debian's libxgboost. The agent selector (random-forest mode) and the
// performance predictor (gradient boosting) are both this with other parameters.
//
// Threads: training uses `threads` OpenMP threads; prediction uses one (a request predicts
// a few rows, where OpenMP's fork-join costs more than it saves). OpenMP must not busy-wait
// on a shared 2-core machine: the process sets OMP_WAIT_POLICY=passive before libgomp starts
// (app/main.cpp re-executes itself with it); see omp_wait_policy_is_passive().
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "ml/dense_matrix.hpp"
#include "ml/tree_ensemble.hpp"

namespace agentlearn::ml {

struct XgbParams {
  // Booster parameters as XGBoost names them ("objective", "max_depth", ...).
  std::vector<std::pair<std::string, std::string>> booster;
  int rounds = 1;   // boosting rounds
  int threads = 2;  // training threads (bounded; never more than the machine's cores)
  uint64_t seed = 42;
};

class XgbModel {
 public:
  XgbModel() = default;
  XgbModel(XgbModel&&) noexcept;
  XgbModel& operator=(XgbModel&&) noexcept;
  ~XgbModel();

  // Trains on rows `x` with targets `y` (and optional per-row weights). Rows must be
  // non-empty and y finite; NaN in x means missing.
  static StatusOr<XgbModel> train(const DenseMatrix& x, std::span<const float> y, const XgbParams& params,
                                  std::span<const float> weights = {});

  // One prediction per row of `x` (probabilities for binary:logistic). Thread-safe. Walks
  // the model's trees in our flat arrays (ml/tree_ensemble.hpp); XGBoost's own prediction
  // is used when the model cannot be read that way.
  StatusOr<std::vector<float>> predict(const DenseMatrix& x) const;
  // The same for `rows` rows stored row-major at `data` (no copy into a DenseMatrix).
  Status predict(const float* data, size_t rows, size_t cols, std::vector<float>& out) const;
  // XGBoost's own in-place prediction: the oracle the flat trees are tested against.
  Status predict_with_xgboost(const float* data, size_t rows, size_t cols, std::vector<float>& out) const;
  bool uses_flat_trees() const { return trees_.has_value(); }

  size_t feature_count() const { return features_; }
  bool trained() const { return handle_ != nullptr; }

  std::string serialize() const;
  static StatusOr<XgbModel> deserialize(std::string_view blob);

 private:
  // Reads the booster's trees into trees_ (left empty when they cannot be read).
  void compile_trees();

  void* handle_ = nullptr;  // BoosterHandle
  size_t features_ = 0;
  std::optional<TreeEnsemble> trees_;
};

// True when libgomp was started with OMP_WAIT_POLICY=passive (so idle training threads
// sleep instead of spinning).
bool omp_wait_policy_is_passive();

}  // namespace agentlearn::ml
