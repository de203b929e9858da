#pragma once
// A generated, realistic workload for `serve --demo`, so a new user sees a populated service
// at once: about 20 agents with different strengths per task type, skewed (log-normal) time
// and cost, failures, and a few outliers. Deterministic for a given seed.
#include <cstdint>
#include <vector>

#include "core/execution.hpp"

namespace agentlearn {

struct DemoWorkloadOptions {
  uint64_t seed = 42;
  size_t executions = 6000;
  int64_t end_us = 0;        // the newest timestamp; executions spread over the 7 days before
  double outlier_rate = 0.01;
};

std::vector<Execution> generate_demo_workload(const DemoWorkloadOptions& options);

}  // namespace agentlearn
