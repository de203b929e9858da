#pragma once
// The rules' statistics (ml::SuccessRules) shared between the ingest path, which adds every
// recorded execution, and the request threads, which read them. Readers share a lock;
// a recorded group takes it once.
#include <shared_mutex>
#include <span>

#include "core/execution.hpp"
#include "ml/success_rules.hpp"

namespace agentlearn {

class AgentRules {
 public:
  void add(std::span<const Execution> rows) {
    std::unique_lock lock(mu_);
    for (const auto& e : rows) rules_.add(e.agent_id, e.task_type.value_or(""), e.success, e.execution_time, e.cost_usd);
  }
  // Runs `fn(const ml::SuccessRules&)` under the shared lock and returns what it returns.
  template <typename Fn>
  auto read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(rules_);
  }

 private:
  mutable std::shared_mutex mu_;
  ml::SuccessRules rules_;
};

}  // namespace agentlearn
