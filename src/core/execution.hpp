#pragma once
// The domain record: one agent's attempt at one task.
#include <cstdint>
#include <optional>
#include <string>

namespace agentlearn {

struct Execution {
  std::string agent_id;
  std::string task_id;
  double execution_time = 0;  // seconds (or steps, for data without wall-clock time)
  bool success = false;
  std::optional<std::string> task_description;
  std::optional<std::string> task_type;
  std::optional<std::string> execution_id;       // client-chosen, for idempotent retries
  std::optional<std::string> recommendation_id;  // the recommendation this run followed
  std::string context_json = "{}";  // minified JSON object: known before the run
  std::string metrics_json = "{}";  // minified JSON object: what the run produced
  std::optional<double> cost_usd;   // metrics.cost_usd, kept apart for analytics
  int64_t timestamp_us = 0;         // microseconds since the Unix epoch, UTC
  bool timestamp_defaulted = false; // true when the client sent none (time of receipt)
  // Hash of the fields the client sent; a retried execution_id with a different hash is a
  // conflict. A defaulted timestamp is not part of it.
  std::string content_hash;
  // Set by the service from the active anomaly_detector before the row is stored (null
  // until a model is active). Not part of the content hash: the server computes them.
  std::optional<double> anomaly_score;
  std::optional<bool> anomaly;
};

// What the store answers for one stored (or already stored) execution.
struct StoredExecution {
  int64_t id = 0;
  bool duplicate = false;
  // The anomaly detector's verdict at ingest (null without an active model set, and for
  // duplicates, which keep the stored row's).
  std::optional<double> anomaly_score;
  std::optional<bool> anomaly;
};

}  // namespace agentlearn
