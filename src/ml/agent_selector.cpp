#include "ml/agent_selector.hpp"

#include <algorithm>
#include <numeric>

#include "ml/byte_io.hpp"

namespace agentlearn::ml {

namespace {
constexpr std::string_view kMagic = "AL-SELECTOR";
constexpr uint32_t kFormat = 1;

std::string num(double v) { return std::to_string(v); }
}  // namespace

StatusOr<AgentSelector> AgentSelector::train(const DenseMatrix& x, std::span<const bool> success,
                                             const AgentSelectorParams& p, std::span<const int> monotone) {
  if (p.n_estimators < 1 || p.n_estimators > 5000) return Status::Invalid("n_estimators must be in 1..5000");
  if (p.max_depth < 1 || p.max_depth > 30) return Status::Invalid("max_depth must be in 1..30");
  if (!(p.subsample > 0 && p.subsample <= 1)) return Status::Invalid("subsample must be in (0, 1]");
  if (!(p.colsample_bynode > 0 && p.colsample_bynode <= 1)) return Status::Invalid("colsample_bynode must be in (0, 1]");
  if (!(p.min_child_weight >= 0)) return Status::Invalid("min_child_weight must be >= 0");
  if (success.size() != x.rows()) return Status::Invalid("one outcome per row is required");
  std::vector<float> y(success.begin(), success.end());
  // Starting from the base rate makes the single Newton step of each tree land near the
  // leaf's own success rate (a forest averages them), so probabilities come out calibrated
  // around the mean rather than squeezed toward 0.5.
  double base = std::accumulate(y.begin(), y.end(), 0.0) / std::max<size_t>(1, y.size());
  base = std::clamp(base, 0.01, 0.99);
  XgbParams xp;
  xp.booster = {{"objective", "binary:logistic"},
                {"tree_method", "hist"},
                {"num_parallel_tree", std::to_string(p.n_estimators)},
                {"max_depth", std::to_string(p.max_depth)},
                {"learning_rate", "1"},
                {"subsample", num(p.subsample)},
                {"colsample_bynode", num(p.colsample_bynode)},
                {"min_child_weight", num(p.min_child_weight)},
                {"reg_lambda", "1"},
                {"base_score", num(base)}};
  if (!monotone.empty()) {
    if (monotone.size() != x.cols()) return Status::Invalid("one monotone constraint per feature is required");
    std::string m = "(";
    for (size_t i = 0; i < monotone.size(); ++i) m += (i ? "," : "") + std::to_string(monotone[i]);
    xp.booster.emplace_back("monotone_constraints", m + ")");
  }
  xp.rounds = 1;
  xp.threads = p.threads;
  xp.seed = p.seed;
  auto model = XgbModel::train(x, y, xp);
  if (!model.ok()) return model.status();
  AgentSelector s;
  s.params_ = p;
  s.model_ = std::move(*model);
  return s;
}

Status AgentSelector::predict(const DenseMatrix& x, std::vector<float>& out) const {
  return model_.predict(x.data(), x.rows(), x.cols(), out);
}

std::string AgentSelector::serialize() const {
  ByteWriter w(kMagic, kFormat);
  w.put<int32_t>(params_.n_estimators);
  w.put<int32_t>(params_.max_depth);
  w.put<double>(params_.subsample);
  w.put<double>(params_.colsample_bynode);
  w.put<double>(params_.min_child_weight);
  w.put<uint64_t>(params_.seed);
  w.put_string(model_.serialize());
  return std::move(w).take();
}

StatusOr<AgentSelector> AgentSelector::deserialize(std::string_view blob) {
  ByteReader r(blob, kMagic, kFormat, kFormat);
  AgentSelector s;
  s.params_.n_estimators = r.get<int32_t>();
  s.params_.max_depth = r.get<int32_t>();
  s.params_.subsample = r.get<double>();
  s.params_.colsample_bynode = r.get<double>();
  s.params_.min_child_weight = r.get<double>();
  s.params_.seed = r.get<uint64_t>();
  std::string model = r.get_string();
  if (auto st = r.finish(); !st.ok()) return st;
  auto m = XgbModel::deserialize(model);
  if (!m.ok()) return m.status();
  s.model_ = std::move(*m);
  return s;
}

}  // namespace agentlearn::ml
