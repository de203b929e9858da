#include "ml/out_of_fold.hpp"

#include <limits>
#include <memory>
#include <unordered_map>

namespace agentlearn::ml {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

DenseMatrix rows_of(const DenseMatrix& x, std::span<const size_t> which) {
  DenseMatrix out(which.size(), x.cols());
  for (size_t i = 0; i < which.size(); ++i) std::copy(x.row(which[i]).begin(), x.row(which[i]).end(), out.row(i).begin());
  return out;
}

}  // namespace

StatusOr<std::vector<ReplayedTask>> out_of_fold_tasks(const FeatureBuilder& features, std::span<const Execution> rows,
                                                      const DenseMatrix& x, const AgentSelectorParams& params) {
  const size_t folds = static_cast<size_t>(features.training_folds());
  std::vector<size_t> fold_of(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) fold_of[i] = features.training_fold(rows[i].task_id);
  const DenseMatrix xs = x.columns(features.selector_columns());
  const std::vector<int> monotone = features.selector_monotonicity();

  std::vector<float> p(rows.size(), static_cast<float>(kNaN));
  for (size_t k = 0; k < folds; ++k) {
    std::vector<size_t> train, test;
    std::unique_ptr<bool[]> labels(new bool[rows.size()]);
    size_t n = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (fold_of[i] == k) {
        test.push_back(i);
      } else {
        train.push_back(i);
        labels[n++] = rows[i].success;
      }
    }
    if (test.empty()) continue;
    auto selector = AgentSelector::train(rows_of(xs, train), std::span<const bool>(labels.get(), n), params, monotone);
    if (!selector.ok()) return Status::Invalid("fold " + std::to_string(k) + ": " + selector.status().message());
    std::vector<float> out;
    if (auto st = selector->predict(rows_of(xs, test), out); !st.ok()) return st;
    for (size_t j = 0; j < test.size(); ++j) p[test[j]] = out[j];
  }

  // Group by task, then by agent: a candidate's outcome is the share of its runs that
  // succeeded (its rows share one out-of-fold feature row and prediction).
  std::vector<ReplayedTask> tasks;
  std::unordered_map<std::string_view, size_t> index;
  struct Tally {
    double wins = 0, n = 0, cost = 0, costed = 0;
  };
  std::vector<std::vector<Tally>> tallies;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto [it, fresh] = index.emplace(rows[i].task_id, tasks.size());
    if (fresh) {
      tasks.emplace_back();
      tallies.emplace_back();
    }
    ReplayedTask& t = tasks[it->second];
    auto& tally = tallies[it->second];
    size_t c = 0;
    while (c < t.estimate.candidates.size() && t.estimate.candidates[c].agent_id != rows[i].agent_id) ++c;
    if (c == t.estimate.candidates.size()) {
      t.estimate.candidates.push_back({rows[i].agent_id, p[i], static_cast<float>(kNaN), static_cast<float>(kNaN)});
      t.estimate.features.push_row(x.row(i));
      tally.emplace_back();
    }
    Tally& a = tally[c];
    a.wins += rows[i].success ? 1 : 0;
    a.n += 1;
    if (rows[i].cost_usd) a.cost += *rows[i].cost_usd, a.costed += 1;
  }
  for (size_t t = 0; t < tasks.size(); ++t) {
    for (const Tally& a : tallies[t]) {
      tasks[t].success.push_back(a.wins / a.n);
      tasks[t].cost.push_back(a.costed > 0 ? a.cost / a.costed : kNaN);
    }
  }
  return tasks;
}

}  // namespace agentlearn::ml
