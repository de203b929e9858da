#include "ml/model_set_evaluation.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "ml/evaluation.hpp"
#include "ml/metrics.hpp"
#include "ml/outcome_scale.hpp"
#include "ml/tokenizer.hpp"

namespace agentlearn::ml {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr uint64_t kHoldoutSeed = 0x686f6c646f7574ull;  // "holdout"
constexpr size_t kMaxReferenceTexts = 3000;  // bounds the kNN check's cost on big stores
constexpr size_t kMaxQueryTexts = 1000;

double auc_of(const std::vector<double>& scores, const std::vector<char>& labels) {
  std::unique_ptr<bool[]> l(new bool[labels.size()]);
  for (size_t i = 0; i < labels.size(); ++i) l[i] = labels[i] != 0;
  return roc_auc(scores, std::span<const bool>(l.get(), labels.size()));
}

// Distinct texts with the task type they were recorded with, at most `cap`.
std::vector<std::pair<std::string, std::string>> typed_texts(std::span<const Execution> rows, size_t cap) {
  std::map<std::string_view, std::string_view> seen;
  for (const auto& e : rows) {
    if (seen.size() >= cap) break;
    if (e.task_description && e.task_type) seen.emplace(*e.task_description, *e.task_type);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [text, type] : seen) out.emplace_back(text, type);
  return out;
}
}  // namespace

bool is_holdout_task(std::string_view task_id, double fraction) {
  return static_cast<double>(stable_hash64(task_id, kHoldoutSeed) >> 11) * 0x1.0p-53 < fraction;
}

ModelSetMetrics evaluate_model_set(const ModelSet& set, std::span<const Execution> holdout,
                                   std::span<const Execution> training, uint64_t seed) {
  ModelSetMetrics m{holdout.size(), 0, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  if (holdout.empty()) return m;

  // Selector and predictor: one estimate per held-out task for the agents that ran it.
  std::unordered_map<std::string_view, std::vector<size_t>> by_task;
  for (size_t i = 0; i < holdout.size(); ++i) by_task[holdout[i].task_id].push_back(i);
  m.tasks = by_task.size();
  std::vector<double> p, time_true, time_pred, cost_true, cost_pred;
  std::vector<char> labels;
  for (const auto& [task, idx] : by_task) {
    std::vector<std::string> agents;
    for (size_t i : idx) agents.push_back(holdout[i].agent_id);
    auto est = set.estimate(task_query_of(holdout[idx.front()]), agents);
    if (!est.ok()) continue;
    for (size_t j = 0; j < idx.size(); ++j) {
      const Execution& e = holdout[idx[j]];
      const CandidateEstimate& c = est->candidates[j];
      p.push_back(c.success_probability);
      labels.push_back(e.success);
      time_true.push_back(log_time(e.execution_time));
      time_pred.push_back(c.log_time);
      if (e.cost_usd && std::isfinite(c.log_cost)) {
        cost_true.push_back(log_cost(*e.cost_usd));
        cost_pred.push_back(c.log_cost);
      }
    }
  }
  if (!p.empty()) {
    m.selector_auc = auc_of(p, labels);
    std::unique_ptr<bool[]> l(new bool[labels.size()]);
    for (size_t i = 0; i < labels.size(); ++i) l[i] = labels[i] != 0;
    m.selector_log_loss = log_loss(p, std::span<const bool>(l.get(), labels.size()));
    m.r2_log_time = r2_score(time_true, time_pred);
    if (cost_true.size() >= 2) m.r2_log_cost = r2_score(cost_true, cost_pred);
  }

  auto queries = typed_texts(holdout, kMaxQueryTexts);
  if (set.has_task_classifier() && !queries.empty()) {
    size_t right = 0;
    for (const auto& [text, type] : queries) right += set.task_classifier().predict(text).label == type;
    m.classifier_accuracy = static_cast<double>(right) / static_cast<double>(queries.size());
  }
  auto reference = typed_texts(training, kMaxReferenceTexts);
  if (set.has_embedding_generator() && !queries.empty() && !reference.empty()) {
    std::vector<std::vector<float>> ref_vec, query_vec;
    std::vector<std::string> ref_labels, query_labels;
    for (const auto& [text, type] : reference) {
      ref_vec.push_back(set.embed(text));
      ref_labels.push_back(type);
    }
    for (const auto& [text, type] : queries) {
      query_vec.push_back(set.embed(text));
      query_labels.push_back(type);
    }
    m.embedding_knn_accuracy = knn_vote_accuracy(ref_vec, ref_labels, query_vec, query_labels, 10);
  }

  // Anomaly detector: every held-out run (negative) and a corrupted copy of it (positive).
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1), factor(10, 50);
  std::vector<double> scores;
  std::vector<char> corrupted;
  for (const Execution& e : holdout) {
    scores.push_back(set.anomaly_detector().score(e));
    corrupted.push_back(0);
    Execution bad = e;
    if (bad.cost_usd && unit(rng) < 0.5) {
      *bad.cost_usd *= factor(rng);
    } else {
      bad.execution_time = std::max(bad.execution_time, 1e-3) * factor(rng);
    }
    scores.push_back(set.anomaly_detector().score(bad));
    corrupted.push_back(1);
  }
  m.anomaly_auc = auc_of(scores, corrupted);
  return m;
}

}  // namespace agentlearn::ml
