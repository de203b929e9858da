#pragma once
// Which policy a model set serves: the one whose picks did best on the training tasks when
// each task was held out of what the policy learned (out-of-fold, out_of_fold.hpp), with
// every policy's figure and its paired standard error against the served one, so a report
// can say whether the choice stands out from the noise.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ml/byte_io.hpp"
#include "ml/policy_replay.hpp"

namespace agentlearn::ml {

struct PolicyScore {
  std::string policy;
  double success = 0;        // mean success of its picks on the out-of-fold tasks
  double difference_se = 0;  // paired standard error of (served - this); 0 for the served one
};

struct PolicySelection {
  std::string served = "model";
  int folds = 0;     // 0: no selection ran (a set from before policies: it serves the model)
  size_t tasks = 0;  // out-of-fold tasks the scores are over
  std::vector<PolicyScore> scores;  // every policy scored, simplest first
  double seconds = 0;               // what the selection took (its selector trainings)
  std::string missing;              // why no selection ran, when it could not

  const PolicyScore* score_of(std::string_view policy) const;
  void write(ByteWriter& w) const;
  static PolicySelection read(ByteReader& r);
};

// Serves the model unless another policy's mean success beats it by more than one paired
// standard error of their difference (the model reads every rule's record among its
// features: a rule that only looks better on these tasks is noise); without a model, the best
// mean. A tie goes to the simpler policy (the earlier in `outcomes`). Measured on the
// SWE-bench runs (seeds 0-4, 42) this keeps 0.004 more success on average than the plain
// best mean, and on routerdc it serves the per-benchmark rule in every fold either way.
// `difference_se` of each score is against the served policy.
PolicySelection select_policy(std::span<const PolicyOutcomes> outcomes, int folds);

}  // namespace agentlearn::ml
