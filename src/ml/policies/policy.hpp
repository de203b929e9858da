#pragma once
// A routing policy: one way of estimating, for each candidate agent of a task, its success
// probability, time and cost. The request's objective then ranks those estimates
// (rank_candidates), so every policy answers to the same objective, and `agentlearn
// evaluate`, the trainer's selection and the service all score a policy through this one
// interface. A policy reads what a trained model set computed for the task (TaskEstimate: the
// models' estimates and the candidates' feature rows); what it learned lives in the set.
//
// One policy per file in this folder, made by name in registry.cpp (Vowpal Wabbit keeps one
// reduction per file; LightGBM makes its objectives and metrics from string-keyed factories).
#include <string>
#include <vector>

#include "ml/routing_policy.hpp"
#include "ml/task_estimate.hpp"
#include "ml/task_features.hpp"

namespace agentlearn::ml {

class RoutingPolicy {
 public:
  // `features`: the set's feature builder (it must outlive the policy).
  RoutingPolicy(std::string name, const FeatureBuilder& features) : name_(std::move(name)), features_(features) {}
  virtual ~RoutingPolicy() = default;
  RoutingPolicy(const RoutingPolicy&) = delete;
  RoutingPolicy& operator=(const RoutingPolicy&) = delete;

  // The name it is made and reported by ("model", "task_type", ...).
  const std::string& name() const { return name_; }
  // What it does, in a phrase for reports and reasoning ("the best agent per task_type").
  virtual std::string description() const = 0;
  // One estimate per candidate of `task`, in its order; time in seconds and cost in USD are
  // NaN where unknown. Every policy gives each candidate the same typical cost (the agent's
  // usual cost over all its runs), so a relative cost weight means the same whoever serves.
  std::vector<CandidateScoreInput> estimate(const TaskEstimate& task) const;

 protected:
  // The policy's own estimates (typical_cost is filled in by estimate()).
  virtual std::vector<CandidateScoreInput> estimate_candidates(const TaskEstimate& task) const = 0;
  const FeatureBuilder& features() const { return features_; }

 private:
  std::string name_;
  const FeatureBuilder& features_;
};

}  // namespace agentlearn::ml
