#pragma once
// Held-out evaluation of a trained model set, as the training loop runs it before deciding
// whether the set may become active: the split is by task (a hash of task_id, so every run
// uses the same split and neither the new nor the active set has trained on a held-out
// task), and each model is scored with its own metric (ROC AUC and log loss, R^2 of log time
// and log cost, accuracy, 10-NN accuracy, ROC AUC: see ModelSetMetrics).
#include <cstdint>
#include <span>
#include <string_view>

#include "core/execution.hpp"
#include "ml/model_set.hpp"

namespace agentlearn::ml {

// True when the task belongs to the held-out share `fraction` of tasks.
bool is_holdout_task(std::string_view task_id, double fraction);

struct ModelSetMetrics {
  size_t rows = 0;   // held-out executions
  size_t tasks = 0;  // held-out tasks
  // NaN where a figure cannot be computed (a model absent, one class only, no costs...).
  double selector_auc;
  double selector_log_loss;
  double r2_log_time;
  double r2_log_cost;
  double classifier_accuracy;     // task_type of held-out texts
  double embedding_knn_accuracy;  // 10-NN task_type vote, held-out texts against training texts
  double anomaly_auc;             // each held-out run against a copy with time or cost x U[10, 50]
};

// Scores `set` on `holdout`; `training` supplies the reference texts of the kNN accuracy.
ModelSetMetrics evaluate_model_set(const ModelSet& set, std::span<const Execution> holdout,
                                   std::span<const Execution> training, uint64_t seed);

}  // namespace agentlearn::ml
