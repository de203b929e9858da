#pragma once
// Success by context value, per agent and over all agents: for each top-level member of the
// executions' context that reads as a category (a string, a boolean, or a whole number),
// how often each agent succeeded when the member had each value. GET
// /agent/{agent_id}/recommendations shows an agent's values against every agent's
// (profile.by_context: e.g. SWE-bench's difficulty "<15 min fix" or its repository).
//
// Kept up to date on the ingest path (the service adds every stored execution), so a profile
// reads counts and never scans the store. Bounded: at most kMaxKeys members and kMaxValues
// values per member are tracked (the first seen; later ones are not counted), values of at
// most kMaxValueBytes; numbers that are not whole, or beyond +-kMaxWholeNumber, are not
// categories and are skipped.
#include <cstddef>
#include <map>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "core/execution.hpp"

namespace agentlearn {

struct ContextRecord {
  std::string key;
  std::string value;
  size_t runs = 0;
  size_t successes = 0;
  double success_rate = 0;      // the agent's (successes / runs)
  size_t all_runs = 0;          // every agent's runs with this value
  size_t all_successes = 0;
  double all_success_rate = 0;  // every agent's
};

class ContextStats {
 public:
  static constexpr size_t kMaxKeys = 32;
  static constexpr size_t kMaxValues = 64;
  static constexpr size_t kMaxValueBytes = 128;
  static constexpr double kMaxWholeNumber = 1e6;

  void add(std::span<const Execution> rows);
  // The agent's records, the largest lift over the field (success_rate - all_success_rate)
  // first: strengths at the front, weaknesses at the back.
  std::vector<ContextRecord> agent(const std::string& agent_id) const;

 private:
  struct Counts {
    size_t runs = 0, successes = 0;
  };
  struct Value {
    Counts all;
    std::map<std::string, Counts, std::less<>> by_agent;
  };
  mutable std::shared_mutex mu_;
  std::map<std::string, std::map<std::string, Value, std::less<>>, std::less<>> keys_;
};

}  // namespace agentlearn
