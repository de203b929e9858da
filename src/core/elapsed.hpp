#pragma once
// Seconds elapsed on the steady clock: how long a training run, an index build or an
// evaluation took.
#include <chrono>

namespace agentlearn {

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace agentlearn
