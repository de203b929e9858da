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

namespace agentlearn::ml {

class RoutingPolicy {
 public:
  explicit RoutingPolicy(std::string name) : name_(std::move(name)) {}
  virtual ~RoutingPolicy() = default;
  RoutingPolicy(const RoutingPolicy&) = delete;
  RoutingPolicy& operator=(const RoutingPolicy&) = delete;

  // The name it is made and reported by ("model", "task_type", ...).
  const std::string& name() const { return name_; }
  // What it does, in a phrase for reports and reasoning ("the best agent per task_type").
  virtual std::string description() const = 0;
  // One estimate per candidate of `task`, in its order; time in seconds and cost in USD are
  // NaN where unknown.
  virtual std::vector<CandidateScoreInput> estimate(const TaskEstimate& task) const = 0;

 private:
  std::string name_;
};

}  // namespace agentlearn::ml
