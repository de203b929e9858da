#pragma once
// The parameters of the five models (and of the shared feature builder), as the config's
// `models.<name>.parameters.<key>` sets them (after the design's ml_config.yaml). One table
// names every settable key, so the config loader, the docs and the tests agree on what exists.
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ml/agent_selector.hpp"
#include "ml/anomaly_detector.hpp"
#include "ml/embedding_generator.hpp"
#include "ml/performance_predictor.hpp"
#include "ml/task_classifier.hpp"
#include "ml/task_features.hpp"

namespace agentlearn::ml {

struct ModelParams {
  FeatureParams features;                          // models.features.parameters.*
  EmbeddingParams embedding_generator;             // models.embedding_generator.parameters.*
  TaskClassifierParams task_classifier;            // models.task_classifier.parameters.*
  AgentSelectorParams agent_selector;              // models.agent_selector.parameters.*
  PerformancePredictorParams performance_predictor;// models.performance_predictor.parameters.*
  AnomalyDetectorParams anomaly_detector;          // models.anomaly_detector.parameters.*
  int training_threads = 2;                        // bounded: training shares the machine
};

ModelParams default_model_params();

struct ModelParameterInfo {
  std::string model;
  std::string name;
  std::string value;  // the current value as text
};

// Sets models.<model>.parameters.<name> from its text (YAML scalar or flag value). Unknown
// model, unknown parameter or a value of the wrong type: InvalidArgument naming the key.
Status set_model_parameter(ModelParams& params, std::string_view model, std::string_view name,
                           std::string_view value);

// Every settable parameter with its value in `params`.
std::vector<ModelParameterInfo> list_model_parameters(const ModelParams& params);

// Sets the embedding width everywhere it matters (the config's `vector_dimensions`).
void set_vector_dimensions(ModelParams& params, int dimensions);

}  // namespace agentlearn::ml
