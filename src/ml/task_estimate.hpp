#pragma once
// What a model set answers for one task and its candidate agents: the models' estimates and
// the candidates' feature rows, computed once per recommendation and read by every routing
// policy (ml/policies/).
#include <string>
#include <vector>

#include "ml/dense_matrix.hpp"

namespace agentlearn::ml {

struct CandidateEstimate {
  std::string agent_id;
  float success_probability = 0;
  float log_time = 0;
  float log_cost = kMissing;  // NaN when the set has no cost model
};

struct TaskEstimate {
  std::vector<float> embedding;  // empty unless the features use it (text_dimensions > 0)
  std::string category;  // the classifier's task_type for the text
  double category_probability = 0;
  std::vector<CandidateEstimate> candidates;  // in the order asked
  // Each candidate's feature row (FeatureBuilder layout), in the order asked: what the
  // rule policies read their group estimates from.
  DenseMatrix features;
};

}  // namespace agentlearn::ml
