#pragma once
// `agentlearn evaluate --seeds 0,1,2,3,4`: the routing replay over several split seeds, so a
// figure is never one split's luck. One line per seed (routed, the best single agent, the
// oracle, the share of the oracle gap closed, every policy, whether the gate held) and the mean
// of each column over the seeds.
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "ml/model_params.hpp"
#include "ml/routing_evaluation.hpp"

namespace agentlearn {

struct SeedsReport {
  nlohmann::json json;  // {"seeds": [...], "mean": {...}, "every_seed_holds": bool}
  std::string text;     // the table a person reads
  bool every_seed_holds = true;
};

// `options` gives everything but the seed. A policy missing on some seed (a context member
// some folds did not keep) is averaged over the seeds that have it, and says over how many.
StatusOr<SeedsReport> evaluate_over_seeds(std::span<const Execution> rows, const ml::ModelParams& params,
                                          ml::RoutingOptions options, std::span<const uint64_t> seeds);

}  // namespace agentlearn
