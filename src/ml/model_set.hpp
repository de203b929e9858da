#pragma once
// The five models trained together as one set (so a selector is never paired with an embedding
// it was not trained on), and the computation a recommendation needs from them: embed the task
// text, classify it, and estimate success, time and cost for every candidate agent. Immutable
// once trained or loaded, so request threads share it freely.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "ml/agent_selector.hpp"
#include "ml/anomaly_detector.hpp"
#include "ml/embedding_generator.hpp"
#include "ml/model_params.hpp"
#include "ml/performance_predictor.hpp"
#include "ml/policy_selection.hpp"
#include "ml/task_classifier.hpp"
#include "ml/task_estimate.hpp"
#include "ml/task_features.hpp"

namespace agentlearn::ml {

struct ModelTrainingReport {
  std::string model;
  double seconds = 0;
  size_t samples = 0;
  bool reused = false;   // carried over from the previous set (embedding_generator's schedule)
  std::string missing;   // why the model is absent from the set (empty: it is there)
};

class ModelSet {
 public:
  // Trains the five on `rows`, then chooses the routing policy the set serves
  // (policy_selection()): the embedding and the classifier on the distinct task texts (a
  // task run by many agents counts once), the feature statistics, selector, predictor and
  // anomaly detector on every row.
  //
  // The selector, predictor and anomaly detector are required (an error when they cannot be
  // trained). The embedding_generator and the task_classifier may be absent, with the reason
  // in training_report(): no task texts, too few words, fewer than two task types. Then
  // embed() is empty and requests use their own task_type.
  //
  // `previous` (may be null): the active set. Its embedding_generator is reused unless the
  // distinct task texts have grown by `embedding_regrowth` (1.5: by half) since it was trained
  // (the embedding changes rarely, since every stored vector is recomputed when it does).
  static StatusOr<std::shared_ptr<const ModelSet>> train(std::span<const Execution> rows, const ModelParams& params,
                                                         const ModelSet* previous = nullptr,
                                                         double embedding_regrowth = 1.5);

  // One recommendation's worth of model compute for `candidates`. Thread-safe.
  StatusOr<TaskEstimate> estimate(const TaskQuery& task, std::span<const std::string> candidates) const;

  // The text's embedding (deterministic per text); empty without an embedding_generator.
  std::vector<float> embed(std::string_view text) const;

  bool has_embedding_generator() const { return embedding_.has_value(); }
  bool has_task_classifier() const { return classifier_.has_value(); }
  const EmbeddingGenerator& embedding_generator() const { return *embedding_; }
  const TaskClassifier& task_classifier() const { return *classifier_; }
  // The report entry of one model (nullptr for an unknown name).
  const ModelTrainingReport* report_of(std::string_view model) const;
  const FeatureBuilder& features() const { return features_; }
  const AgentSelector& agent_selector() const { return *selector_; }
  const PerformancePredictor& performance_predictor() const { return *predictor_; }
  const AnomalyDetector& anomaly_detector() const { return *anomaly_; }
  const std::vector<ModelTrainingReport>& training_report() const { return report_; }
  // Which routing policy (ml/policies/) the set serves, chosen when it was trained by every
  // policy's out-of-fold success on the training tasks, with those figures.
  const PolicySelection& policy_selection() const { return selection_; }
  const std::string& served_policy() const { return selection_.served; }

  // Each model's version: its name and a hash of its serialized bytes ("agent_selector-
  // 3f9a0c1d2e4b"), the same after a save and load, different for any change in what it
  // learned. The set's own version combines the five.
  struct ModelVersion {
    std::string model;
    std::string version;
  };
  const std::vector<ModelVersion>& versions() const { return versions_; }
  const std::string& content_version() const { return content_version_; }

  // All five in one blob; loading gives identical estimates.
  std::string serialize() const;
  static StatusOr<std::shared_ptr<const ModelSet>> deserialize(std::string_view blob);

 private:
  ModelSet() = default;
  // The task type the features use: the request's, else the classifier's guess.
  std::string effective_task_type(const TaskQuery& task, std::string* category, double* probability) const;

  std::optional<EmbeddingGenerator> embedding_;
  std::optional<TaskClassifier> classifier_;
  FeatureBuilder features_;
  std::optional<AgentSelector> selector_;
  std::optional<PerformancePredictor> predictor_;
  std::optional<AnomalyDetector> anomaly_;
  std::vector<ModelTrainingReport> report_;
  PolicySelection selection_;
  std::vector<ModelVersion> versions_;
  std::string content_version_;
  // Fills versions_ and content_version_ from the models' blobs.
  void compute_versions(const std::string (&blobs)[6]);
};

}  // namespace agentlearn::ml
