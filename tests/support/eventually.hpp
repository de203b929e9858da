#pragma once
// Tests wait on events (a job's status, a port, a log line), never on a guessed duration: a
// machine kept busy by other work makes everything slower, and a test must still pass there.
// `eventually` polls a condition until it holds. Its limit is no guess at how long the event
// takes: it only stops a test that would otherwise hang (ctest's own timeout is 600 s).
#include <chrono>
#include <functional>
#include <thread>

namespace agentlearn::testing {

inline constexpr std::chrono::seconds kEventLimit{300};

// True as soon as `condition()` holds; false when `limit` passed first.
inline bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = kEventLimit,
                       std::chrono::milliseconds poll = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace agentlearn::testing
