#include "ml/performance_predictor.hpp"

#include <cmath>

#include "ml/byte_io.hpp"

namespace agentlearn::ml {

namespace {
constexpr std::string_view kMagic = "AL-PREDICTOR";
constexpr uint32_t kFormat = 1;

XgbParams boosting(const PerformancePredictorParams& p) {
  XgbParams xp;
  xp.booster = {{"objective", "reg:squarederror"},
                {"tree_method", "hist"},
                {"max_depth", std::to_string(p.max_depth)},
                {"learning_rate", std::to_string(p.learning_rate)},
                {"subsample", std::to_string(p.subsample)}};
  xp.rounds = p.n_estimators;
  xp.threads = p.threads;
  xp.seed = p.seed;
  return xp;
}
}  // namespace

StatusOr<PerformancePredictor> PerformancePredictor::train(const DenseMatrix& x, std::span<const float> log_times,
                                                           std::span<const float> log_costs,
                                                           const PerformancePredictorParams& p) {
  if (p.n_estimators < 1 || p.n_estimators > 5000) return Status::Invalid("n_estimators must be in 1..5000");
  if (!(p.learning_rate > 0 && p.learning_rate <= 1)) return Status::Invalid("learning_rate must be in (0, 1]");
  if (p.max_depth < 1 || p.max_depth > 30) return Status::Invalid("max_depth must be in 1..30");
  if (!(p.subsample > 0 && p.subsample <= 1)) return Status::Invalid("subsample must be in (0, 1]");
  if (log_times.size() != x.rows() || log_costs.size() != x.rows()) {
    return Status::Invalid("one time and one cost (or NaN) per row is required");
  }
  PerformancePredictor out;
  out.params_ = p;
  auto time = XgbModel::train(x, log_times, boosting(p));
  if (!time.ok()) return time.status();
  out.time_ = std::move(*time);

  // The cost model learns only from rows that have a cost.
  DenseMatrix cx;
  std::vector<float> cy;
  for (size_t i = 0; i < x.rows(); ++i) {
    if (std::isfinite(log_costs[i])) {
      cx.push_row(x.row(i));
      cy.push_back(log_costs[i]);
    }
  }
  if (cy.size() >= static_cast<size_t>(std::max(p.min_cost_rows, 2))) {
    auto cost = XgbModel::train(cx, cy, boosting(p));
    if (!cost.ok()) return cost.status();
    out.cost_ = std::move(*cost);
  }
  return out;
}

Status PerformancePredictor::predict(const DenseMatrix& x, std::vector<float>& log_times,
                                     std::vector<float>& log_costs) const {
  if (auto st = time_.predict(x.data(), x.rows(), x.cols(), log_times); !st.ok()) return st;
  if (cost_.trained()) return cost_.predict(x.data(), x.rows(), x.cols(), log_costs);
  log_costs.assign(x.rows(), kMissing);
  return {};
}

std::string PerformancePredictor::serialize() const {
  ByteWriter w(kMagic, kFormat);
  w.put<int32_t>(params_.n_estimators);
  w.put<double>(params_.learning_rate);
  w.put<int32_t>(params_.max_depth);
  w.put<double>(params_.subsample);
  w.put<uint64_t>(params_.seed);
  w.put_string(time_.serialize());
  w.put_string(cost_.trained() ? cost_.serialize() : std::string());
  return std::move(w).take();
}

StatusOr<PerformancePredictor> PerformancePredictor::deserialize(std::string_view blob) {
  ByteReader r(blob, kMagic, kFormat, kFormat);
  PerformancePredictor p;
  p.params_.n_estimators = r.get<int32_t>();
  p.params_.learning_rate = r.get<double>();
  p.params_.max_depth = r.get<int32_t>();
  p.params_.subsample = r.get<double>();
  p.params_.seed = r.get<uint64_t>();
  std::string time = r.get_string();
  std::string cost = r.get_string();
  if (auto st = r.finish(); !st.ok()) return st;
  auto t = XgbModel::deserialize(time);
  if (!t.ok()) return t.status();
  p.time_ = std::move(*t);
  if (!cost.empty()) {
    auto c = XgbModel::deserialize(cost);
    if (!c.ok()) return c.status();
    p.cost_ = std::move(*c);
  }
  return p;
}

}  // namespace agentlearn::ml
