#pragma once
// The training tasks as the policies would have met them had each task been held out of what
// they learned: the feature rows are FeatureBuilder::training_rows()' (each fold's statistics
// leave the fold out, so every rule's estimate is out-of-fold), and the model's success
// probabilities come from an agent selector trained on the other folds. This is what the
// policy selection scores; it costs one selector training per fold and nothing else.
#include <span>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "ml/agent_selector.hpp"
#include "ml/dense_matrix.hpp"
#include "ml/policy_replay.hpp"
#include "ml/task_features.hpp"

namespace agentlearn::ml {

// `x`: features.training_rows(rows, ...), row i describing rows[i]. One ReplayedTask per task
// (in first-seen order), one candidate per agent that ran it; the candidates' time and cost
// estimates are NaN (the selection ranks by success alone).
StatusOr<std::vector<ReplayedTask>> out_of_fold_tasks(const FeatureBuilder& features, std::span<const Execution> rows,
                                                      const DenseMatrix& x, const AgentSelectorParams& params);

}  // namespace agentlearn::ml
