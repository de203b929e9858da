#include "ml/evaluation.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <unordered_map>

#include "ml/metrics.hpp"
#include "ml/outcome_scale.hpp"

namespace agentlearn::ml {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

DenseMatrix feature_rows(const FeatureBuilder& builder, std::span<const Execution> rows, const TextEmbedder& embed) {
  DenseMatrix x(rows.size(), builder.width());
  // The same text is run by many agents: embed each distinct text once.
  std::unordered_map<std::string_view, std::vector<float>> cache;
  for (size_t i = 0; i < rows.size(); ++i) {
    TaskQuery q = task_query_of(rows[i]);
    std::span<const float> emb;
    if (embed && builder.embedding_width() > 0) {
      auto it = cache.find(q.description);
      if (it == cache.end()) it = cache.emplace(q.description, embed(q.description)).first;
      emb = it->second;
    }
    builder.fill(builder.prepare(q, emb), rows[i].agent_id, x.row(i));
  }
  return x;
}

StatusOr<TabularEvaluation> evaluate_selector_and_predictor(std::span<const Execution> rows, const TabularParams& params,
                                                            int folds, uint64_t seed, const EmbedderFactory& embedder) {
  if (folds < 2) return Status::Invalid("at least 2 folds are needed");
  if (rows.size() < static_cast<size_t>(folds) * 2) return Status::Invalid("too few rows to evaluate");
  std::vector<std::string> tasks;
  tasks.reserve(rows.size());
  for (const auto& e : rows) tasks.push_back(e.task_id);
  std::vector<int> fold_of = group_folds(tasks, folds, seed);

  TabularEvaluation ev;
  ev.folds = folds;
  ev.rows = rows.size();
  ev.success_probability.assign(rows.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<double> pred_time(rows.size()), pred_cost(rows.size(), std::numeric_limits<double>::quiet_NaN());

  for (int f = 0; f < folds; ++f) {
    std::vector<Execution> train, test;
    std::vector<size_t> test_index;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (fold_of[i] == f) {
        test.push_back(rows[i]);
        test_index.push_back(i);
      } else {
        train.push_back(rows[i]);
      }
    }
    if (train.empty() || test.empty()) continue;

    auto t0 = std::chrono::steady_clock::now();
    TextEmbedder embed;
    if (embedder && params.features.text_dimensions > 0) {
      std::set<std::string> distinct;
      for (const auto& e : train) {
        if (e.task_description) distinct.insert(*e.task_description);
      }
      std::vector<std::string> texts(distinct.begin(), distinct.end());
      auto made = embedder(texts);
      if (!made.ok()) return made.status();
      embed = std::move(*made);
    }
    ev.embedding_seconds += seconds_since(t0) / folds;

    t0 = std::chrono::steady_clock::now();
    auto builder = FeatureBuilder::fit(train, params.features);
    if (!builder.ok()) return builder.status();
    DenseMatrix xtrain = feature_rows(*builder, train, embed);
    DenseMatrix xtest = feature_rows(*builder, test, embed);
    ev.features_seconds += seconds_since(t0) / folds;

    std::unique_ptr<bool[]> success(new bool[train.size()]);
    std::vector<float> log_times(train.size()), log_costs(train.size());
    for (size_t i = 0; i < train.size(); ++i) {
      success[i] = train[i].success;
      log_times[i] = static_cast<float>(log_time(train[i].execution_time));
      log_costs[i] = train[i].cost_usd ? static_cast<float>(log_cost(*train[i].cost_usd)) : kMissing;
    }
    t0 = std::chrono::steady_clock::now();
    auto selector = AgentSelector::train(xtrain, std::span<const bool>(success.get(), train.size()), params.selector);
    if (!selector.ok()) return selector.status();
    ev.selector_seconds += seconds_since(t0) / folds;
    t0 = std::chrono::steady_clock::now();
    auto predictor = PerformancePredictor::train(xtrain, log_times, log_costs, params.predictor);
    if (!predictor.ok()) return predictor.status();
    ev.predictor_seconds += seconds_since(t0) / folds;

    std::vector<float> p, lt, lc;
    if (auto st = selector->predict(xtest, p); !st.ok()) return st;
    if (auto st = predictor->predict(xtest, lt, lc); !st.ok()) return st;
    for (size_t j = 0; j < test_index.size(); ++j) {
      ev.success_probability[test_index[j]] = p[j];
      pred_time[test_index[j]] = lt[j];
      pred_cost[test_index[j]] = lc[j];
    }
  }

  std::unique_ptr<bool[]> labels(new bool[rows.size()]);
  std::vector<double> true_time(rows.size());
  std::vector<double> cost_truth, cost_pred;
  for (size_t i = 0; i < rows.size(); ++i) {
    labels[i] = rows[i].success;
    true_time[i] = log_time(rows[i].execution_time);
    if (rows[i].cost_usd && std::isfinite(pred_cost[i])) {
      cost_truth.push_back(log_cost(*rows[i].cost_usd));
      cost_pred.push_back(pred_cost[i]);
    }
  }
  std::span<const bool> label_span(labels.get(), rows.size());
  ev.selector_auc = roc_auc(ev.success_probability, label_span);
  ev.selector_log_loss = log_loss(ev.success_probability, label_span);
  ev.r2_log_time = r2_score(true_time, pred_time);
  ev.r2_log_cost = cost_truth.empty() ? std::numeric_limits<double>::quiet_NaN() : r2_score(cost_truth, cost_pred);
  return ev;
}

}  // namespace agentlearn::ml
