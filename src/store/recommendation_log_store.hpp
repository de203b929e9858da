#pragma once
// The recommendation log: every answered recommendation, so that online-mode exploration can
// be evaluated offline (inverse propensity) once the execution that followed it is recorded
// with the same recommendation_id.
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "core/status.hpp"
#include "store/execution_store.hpp"

namespace agentlearn {

// One answered recommendation.
struct RecommendationLogRow {
  std::string recommendation_id;  // unique
  int64_t created_us = 0;
  std::string mode;               // rules / apprentice / online / exploit
  std::string model_version;      // the active model set, empty when none
  std::string chosen_agent;       // what the service answered (primary_agent)
  std::string model_agent;        // the models' top choice (empty without models)
  std::string rules_agent;        // the rules' top choice
  double propensity = 1;          // P(chosen_agent | the policy's randomisation)
  bool explored = false;          // the chosen agent was an exploration draw
};

class RecommendationLogStore {
 public:
  virtual ~RecommendationLogStore() = default;
  // Stores the rows in one transaction; a repeated recommendation_id is ignored.
  virtual Status log_recommendations(std::span<const RecommendationLogRow> rows) = 0;
  // Every logged recommendation that an execution was later recorded with (joined on
  // recommendation_id; the execution with the lowest id when several were), in log order.
  virtual Status scan_logged_outcomes(
      const std::function<void(const RecommendationLogRow&, const StoredRow&)>& fn) = 0;
};

}  // namespace agentlearn
