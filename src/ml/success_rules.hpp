#pragma once
// The rules: each agent's success rate by task type, smoothed toward the agent's overall rate,
// which is smoothed toward everyone's. Needs no training, so it answers from the first
// recorded execution on, is what `rules` and `apprentice` modes choose by, and is the fallback
// when no model set is active or a model fails. Updated one execution at a time; not
// thread-safe by itself (the service guards it).
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace agentlearn::ml {

class SuccessRules {
 public:
  explicit SuccessRules(double smoothing = 5) : smoothing_(smoothing) {}

  void add(std::string_view agent_id, std::string_view task_type, bool success);

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

  double smoothing_;
  Counts global_;
  std::map<std::string, Agent, std::less<>> agents_;
  std::map<std::string, Counts, std::less<>> types_;
};

}  // namespace agentlearn::ml
