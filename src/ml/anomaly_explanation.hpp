#pragma once
// Why a run is unusual, in the anomaly_detector's own terms: its execution time and (when
// known) cost against the typical values the detector's features measure deviations from
// (AnomalyDetector::features: the agent's usual on the run's task type, a geometric mean
// smoothed toward the agent's overall usual, which is itself smoothed toward every run's).
// These are the features' deviations, not an exact split of the forest's score (an isolation
// forest has none); they name what a person checks first.
#include <string>
#include <vector>

#include "core/execution.hpp"
#include "ml/anomaly_detector.hpp"

namespace agentlearn::ml {

struct AnomalyReason {
  std::string feature;   // "execution_time" or "cost_usd"
  double value = 0;      // the run's
  double typical = 0;    // the baseline's, same unit
  double ratio = 0;      // value / typical
  // "agent_task_type": the agent's runs of this type; "agent": its runs of every type (the
  // run has no type, or the agent never ran it; every run's for an agent never seen).
  std::string baseline;
};

// The run's reasons, furthest from typical (by |log ratio|) first.
std::vector<AnomalyReason> explain_anomaly(const AnomalyDetector& detector, const Execution& e);

// One sentence naming the reasons beyond 3x either way (the furthest alone when none is),
// e.g. "execution_time 2.1e+03 is 63.9x the typical 32.8 for agent a on django/django tasks."
std::string describe_anomaly(const Execution& e, const std::vector<AnomalyReason>& reasons);

}  // namespace agentlearn::ml
