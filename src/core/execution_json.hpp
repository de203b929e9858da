#pragma once
// Execution records from and to JSON, with validation that names the field to blame.
// One parser serves the HTTP API, the batch endpoint, NDJSON and `agentlearn import`,
// so a record is accepted or refused the same way everywhere.
#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"

namespace agentlearn {

// Limits on one record; documented in docs/api.md.
struct ExecutionLimits {
  static constexpr size_t kMaxIdBytes = 256;             // agent_id, task_id, ids, task_type
  static constexpr size_t kMaxDescriptionBytes = 65536;  // task_description
  static constexpr size_t kMaxObjectBytes = 65536;       // context, metrics (minified)
  static constexpr int kMaxObjectDepth = 8;              // nesting inside context, metrics
  static constexpr double kMaxExecutionTime = 1e9;       // seconds (about 31 years)
  // metrics.cost_usd: a million dollars a run. Bounded so that sums over any number of runs
  // a store can hold stay finite (1e308 twice overflowed to infinity, which JSON cannot carry).
  static constexpr double kMaxCostUsd = 1e6;
  // metrics.tokens_in / tokens_out / input_tokens / output_tokens / total_tokens, when given:
  // whole numbers up to ten billion.
  static constexpr double kMaxTokens = 1e10;
};

// Validates one parsed JSON value as an execution. `received_us` is the default timestamp.
// Unknown members are ignored (documented): orchestrators often send extra fields.
StatusOr<Execution> execution_from_json(simdjson::dom::element value, int64_t received_us);

// Parses and validates one JSON document (a request body or an NDJSON line).
StatusOr<Execution> parse_execution(std::string_view json, int64_t received_us);

struct RecordError {
  size_t index;
  std::string field;
  std::string message;
};

// The result of validating a whole batch: either every record or the list of every error.
struct ParsedBatch {
  std::vector<Execution> records;
  std::vector<RecordError> errors;
  size_t total = 0;  // records in the batch, valid or not
  Status status;  // not ok when the body as a whole is unusable (not JSON, no "records", ...)
};

// `{"records":[...]}`.
ParsedBatch parse_batch_json(std::string_view body, int64_t received_us, size_t max_records);
// One JSON object per line; blank lines are skipped; indices count non-blank lines.
ParsedBatch parse_batch_ndjson(std::string_view body, int64_t received_us, size_t max_records);

// The execution as the API's JSON object (what a client sends; used by the CLI and tests).
std::string execution_to_json(const Execution& e);


}  // namespace agentlearn
