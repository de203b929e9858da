#pragma once
// `agentlearn evaluate`: offline evaluation of routing as a feature. Replays a JSONL
// file of executions through the service's own training and recommendation code, split by
// task, and reports the recommended agent's success and cost against the best single agent,
// random and the oracle, the cost/success curve, prediction R^2 and anomaly AUC. Exits 1 when
// routed success without a cost weight is below the best single agent's.
#include <CLI/CLI.hpp>

namespace agentlearn {

void register_evaluate_command(CLI::App& app);

}  // namespace agentlearn
