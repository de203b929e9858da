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
#include "ml/anomaly_detector.hpp"
#include "ml/performance_predictor.hpp"
#include "ml/task_features.hpp"
#include "ml/text_vectorizer.hpp"

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

// Sees each fold's feature rows and success labels (train part, then held-out part), so
// that another implementation can be scored on the very same split and features.
using FoldObserver = std::function<void(int fold, const DenseMatrix& train_x, std::span<const bool> train_success,
                                        const DenseMatrix& test_x, std::span<const bool> test_success)>;

// k-fold by task_id. `embedder` may be null (text dimensions then read as missing).
StatusOr<TabularEvaluation> evaluate_selector_and_predictor(std::span<const Execution> rows, const TabularParams& params,
                                                            int folds, uint64_t seed, const EmbedderFactory& embedder,
                                                            const FoldObserver& observer = nullptr);

struct AnomalyEvaluation {
  double auc = 0;
  size_t rows = 0;
  size_t corrupted = 0;
  double training_seconds = 0;
  double flagged_precision = 0;  // share of flagged runs (score >= threshold) that were corrupted
  double flagged_recall = 0;     // share of corrupted runs that were flagged
  // The detector's features of every run and which runs were corrupted, so that another
  // implementation (scikit-learn's IsolationForest, bench/anomaly/) can be scored on the
  // very same input.
  DenseMatrix features;
  std::vector<bool> corrupted_rows;
};

// The protocol: a seeded `share` of the runs get their time or their cost (half each,
// cost only where there is one) multiplied by a factor drawn uniformly from [10, 50]; the
// detector trains on all runs as a service would (corruptions included) and the corrupted
// runs are the positives of the ROC AUC.
StatusOr<AnomalyEvaluation> evaluate_anomaly_detector(std::span<const Execution> rows,
                                                      const AnomalyDetectorParams& params, double share,
                                                      uint64_t seed);

// k-nearest-neighbour majority vote by cosine similarity: each query takes the labels of
// its k most similar reference vectors; a tie between labels goes to the label whose tied
// neighbours have the larger summed similarity. Returns the share of queries voted right.
double knn_vote_accuracy(const std::vector<std::vector<float>>& reference, std::span<const std::string> reference_labels,
                         const std::vector<std::vector<float>>& queries, std::span<const std::string> query_labels,
                         int k);
// The same over sparse unit vectors (plain TF-IDF rows).
double knn_vote_accuracy(const std::vector<SparseVector>& reference, std::span<const std::string> reference_labels,
                         const std::vector<SparseVector>& queries, std::span<const std::string> query_labels, int k);

// Builds the feature matrix of `rows` (each row with its own agent), as requests see them.
DenseMatrix feature_rows(const FeatureBuilder& builder, std::span<const Execution> rows, const TextEmbedder& embed);
// Row i's text vector (empty without a text), each distinct text embedded once.
std::vector<std::vector<float>> row_embeddings(std::span<const Execution> rows, const TextEmbedder& embed);
// The feature builder fitted on `rows`, and the rows to train on (each row's statistics leave
// its own fold out: FeatureBuilder::training_rows), the text embedded when the features use it.
struct FittedFeatures {
  FeatureBuilder builder;
  DenseMatrix training_rows;
};
StatusOr<FittedFeatures> fit_features(std::span<const Execution> rows, const FeatureParams& params,
                                      const TextEmbedder& embed);

}  // namespace agentlearn::ml
