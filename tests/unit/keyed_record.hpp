#pragma once
// A minimal execution for the idempotency tests: what matters there is only its execution_id
// (or none) and its content hash.
#include <optional>
#include <string>

#include "core/execution.hpp"

namespace agentlearn::testing {

inline Execution keyed_record(std::optional<std::string> execution_id, std::string hash) {
  Execution e;
  e.agent_id = "agent";
  e.task_id = "task";
  e.execution_id = std::move(execution_id);
  e.content_hash = std::move(hash);
  return e;
}

}  // namespace agentlearn::testing
