#pragma once
// Answers "which agent should take this task?" (POST /task/recommend): ranks the candidates
// by expected utility from the routing policy the active model set serves (ml/policies/), or
// by the rules when no set is active (and says so), applies the learning mode (rules, apprentice, online with epsilon-greedy
// exploration, exploit), explains the choice in a sentence, and logs the decision with its
// propensity.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "metrics/label_cap.hpp"
#include "metrics/registry.hpp"
#include "ml/routing_policy.hpp"
#include "service/agent_rules.hpp"
#include "service/learning_mode.hpp"
#include "service/model_registry.hpp"
#include "service/recommendation_log.hpp"
#include "service/similar_tasks.hpp"

namespace agentlearn {

struct RecommendRequest {
  std::string task_description;
  std::optional<std::string> task_type;
  std::string context_json = "{}";
  std::vector<std::string> candidates;  // empty: every known agent
  size_t top_k = 3;                     // the primary agent and top_k - 1 alternatives
  ml::Objective objective;
  // A preview: the same ranking, but nothing is logged, nothing explored (online mode
  // answers its greedy choice) and learning_predictions_total is not counted.
  bool preview = false;
};

struct CandidateAnswer {
  std::string agent_id;
  double success_probability = 0;
  std::optional<double> predicted_execution_time;  // seconds (steps for step-timed data)
  std::optional<double> predicted_cost;            // USD
  double score = 0;                                // what the answer was ranked by
  size_t samples = 0;                              // the agent's runs of this task type (all runs without one)
  bool within_limits = true;
};

struct RecommendAnswer {
  std::string primary_agent;
  std::vector<std::string> alternative_agents;
  double confidence = 0;  // the primary agent's estimated P(success)
  std::string reasoning;
  std::optional<std::string> category;  // the classifier's task_type for the text
  double category_probability = 0;
  std::vector<CandidateAnswer> candidates;  // in answered order
  std::optional<std::string> model_version;
  std::optional<std::string> policy;  // the routing policy the active set serves
  std::string mode;
  bool explored = false;
  bool preview = false;
  std::string recommendation_id;  // empty for a preview (nothing was logged)
  // What each policy would have picked (apprentice mode reports both).
  std::optional<std::string> model_agent;
  std::string rules_agent;
  double propensity = 1;
  bool fallback = false;  // the models could not answer: the rules did
  // The nearest past tasks (filled by LearningService from the similar-task index).
  std::vector<SimilarTask> similar_tasks;
};

class Recommender {
 public:
  // `max_agent_labels`: distinct agents learning_predictions_total names before it counts
  // the rest as "other".
  Recommender(const AgentRules& rules, const ModelRegistry& models, const ModeSwitch& modes, RecommendationLog* log,
              size_t plausible_agents, metrics::Registry& registry, size_t max_agent_labels = 100);

  // kConflict when no agent is known and none is named.
  StatusOr<RecommendAnswer> recommend(const RecommendRequest& request) const;

 private:
  const AgentRules& rules_;
  const ModelRegistry& models_;
  const ModeSwitch& modes_;
  RecommendationLog* log_;
  // The one place learning_predictions_total is counted: once per answered recommendation.
  void count_prediction(std::string_view agent, bool known_agent, bool by_models) const;

  size_t plausible_;
  metrics::Family<metrics::Counter>& predictions_;
  mutable metrics::LabelCap agent_labels_;
  metrics::Counter& apprentice_decisions_;
  metrics::Counter& apprentice_agreements_;
  metrics::Counter& explorations_;
};

// A fresh id for a recommendation ("rec_" and 24 hex digits).
std::string new_recommendation_id();

}  // namespace agentlearn
