#pragma once
// The rules: each agent's success rate by task type, smoothed toward the agent's overall rate,
// which is smoothed toward everyone's, and the same for the mean log time and log cost of its
// runs (so an objective with a price for cost or time applies to the rules' ranking too).
// Needs no training, so it answers from the first recorded execution on, is what `rules` and
// `apprentice` modes choose by, and is the fallback when no model set is active or a model
// fails. Updated one execution at a time; not thread-safe by itself (the service guards it).
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentlearn::ml {

class SuccessRules {
 public:
  explicit SuccessRules(double smoothing = 5) : smoothing_(smoothing) {}

  void add(std::string_view agent_id, std::string_view task_type, bool success);
  // With the run's time (seconds) and cost (USD; nullopt unknown).
  void add(std::string_view agent_id, std::string_view task_type, bool success, double execution_time,
           std::optional<double> cost_usd);

  // What the rules expect of the agent on the task type: its smoothed success rate (rate()),
  // and the geometric means of its runs' time and cost smoothed the same way (NaN when no run
  // anywhere had one).
  struct Estimate {
    double success_probability = 0;
    double time = 0;
    double cost = 0;
  };
  Estimate estimate(std::string_view agent_id, std::string_view task_type) const;

  // Smoothed P(success) of the agent on the task type (empty type: the agent's overall rate).
  // An unknown agent gets everyone's rate.
  double rate(std::string_view agent_id, std::string_view task_type) const;
  // The agent's rate on the type smoothed toward every agent's rate on it: how it compares
  // with the field there (strengths and weaknesses).
  double rate_against_field(std::string_view agent_id, std::string_view task_type) const;
  // Runs behind that rate: the agent's runs of that type (or all its runs for an empty type).
  size_t samples(std::string_view agent_id, std::string_view task_type) const;

  struct Counts {
    size_t runs = 0;
    size_t successes = 0;
    // Runs with a time or a cost, and the sums of their logs (outcome_scale.hpp).
    size_t timed = 0, costed = 0;
    double sum_log_time = 0, sum_log_cost = 0;
  };
  // Every agent seen, in name order.
  std::vector<std::string> agents() const;
  bool knows(std::string_view agent_id) const { return agents_.find(agent_id) != agents_.end(); }
  Counts agent_counts(std::string_view agent_id) const;
  // The agent's runs per task type, in type order (runs without a type are not listed).
  std::vector<std::pair<std::string, Counts>> agent_types(std::string_view agent_id) const;
  size_t total_runs() const { return global_.runs; }
  // Every agent's runs of the task type together, and their smoothed rate (toward everyone's).
  Counts type_counts(std::string_view task_type) const;
  double type_rate(std::string_view task_type) const;
  double smoothing() const { return smoothing_; }

 private:
  struct Agent {
    Counts all;
    std::map<std::string, Counts, std::less<>> by_type;
  };
  double global_rate() const;
  double smoothed(const Counts& c, double prior) const;
  // The mean of n logs summing to `sum`, smoothed toward `prior` (NaN prior: the plain mean).
  double smoothed_log(size_t n, double sum, double prior) const;
  static void count(Counts& c, bool success, double execution_time, std::optional<double> cost_usd);

  double smoothing_;
  Counts global_;
  std::map<std::string, Agent, std::less<>> agents_;
  std::map<std::string, Counts, std::less<>> types_;
};

}  // namespace agentlearn::ml
