#pragma once
// Held-out evaluation of the models on in-memory data, split by task (never by row: the same
// task run by another agent must not leak its outcome). Used by `agentlearn evaluate-models`
// and by the training loop's promotion check.
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "ml/agent_selector.hpp"
#include "ml/performance_predictor.hpp"
#include "ml/task_features.hpp"

namespace agentlearn::ml {

// Maps a text to its embedding; built per training split from that split's texts only.
using TextEmbedder = std::function<std::vector<float>(std::string_view text)>;
using EmbedderFactory = std::function<StatusOr<TextEmbedder>(std::span<const std::string> training_texts)>;

struct TabularParams {
  FeatureParams features;
  AgentSelectorParams selector;
  PerformancePredictorParams predictor;
};

struct TabularEvaluation {
  int folds = 0;
  size_t rows = 0;
  double selector_auc = 0;       // pooled over the out-of-fold predictions
  double selector_log_loss = 0;
  double r2_log_time = 0;
  double r2_log_cost = 0;        // NaN when no row has a cost
  double embedding_seconds = 0;  // training the embedder, per fold (mean)
  double features_seconds = 0;
  double selector_seconds = 0;
  double predictor_seconds = 0;
  // Out-of-fold P(success) for every row, in input order (routing evaluation reuses it).
  std::vector<double> success_probability;
};

// k-fold by task_id. `embedder` may be null (text dimensions then read as missing).
StatusOr<TabularEvaluation> evaluate_selector_and_predictor(std::span<const Execution> rows, const TabularParams& params,
                                                            int folds, uint64_t seed, const EmbedderFactory& embedder);

// Builds the feature matrix of `rows` (each row with its own agent).
DenseMatrix feature_rows(const FeatureBuilder& builder, std::span<const Execution> rows, const TextEmbedder& embed);

}  // namespace agentlearn::ml
