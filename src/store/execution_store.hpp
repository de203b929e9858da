#pragma once
// The executions: what the group writer stores and what analytics, training and the anomaly
// list read back. Writes go through one StoreWriter owned by the GroupWriter thread (group
// commit); reads are thread-safe and may run from any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"

namespace agentlearn {

// A whole stored execution, as training and tests read it back.
struct StoredRow {
  int64_t id = 0;
  Execution execution;
  int64_t received_us = 0;
  std::optional<double> anomaly_score;
  std::optional<bool> anomaly;
};

class EmbeddingWriter;  // store/embedding_writer.hpp

struct ExistingExecution {
  int64_t id = 0;
  std::string content_hash;
};

// Write primitives on one connection, used from one thread only, inside begin()/commit().
class StoreWriter {
 public:
  virtual ~StoreWriter() = default;
  // Starts a transaction, reconnecting first if the connection was lost.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  // For each execution_id: the stored row's id and content hash, or nullopt. `out` is
  // resized to ids.size().
  virtual Status find_existing(std::span<const std::string> ids,
                               std::vector<std::optional<ExistingExecution>>& out) = 0;
  // Inserts the rows and fills `ids_out` (same order) with their new ids. A unique
  // violation on execution_id (another process won a race) returns kConflict. Nothing else:
  // the group writer journals them as a step of its own.
  virtual Status insert(std::span<const Execution* const> rows, int64_t received_us,
                        std::vector<int64_t>& ids_out) = 0;
  // Writes the analytics journal row naming `ids` (executions inserted in this transaction),
  // so that they reach the cells in a rollup round (store/analytics_store.hpp). One row per
  // call; no lock beyond the row's own, so replicas' writers never wait on each other.
  virtual Status journal(std::span<const int64_t> ids, int64_t now_us) = 0;
  // This connection's embedding writes, inside the same transaction, so that the embedder's
  // vectors ride in the group commits; null where the backend writes them on a connection
  // of their own (PostgreSQL: EmbeddingStore::save_embeddings).
  virtual EmbeddingWriter* embeddings() { return nullptr; }
};

class ExecutionStore {
 public:
  virtual ~ExecutionStore() = default;
  virtual StatusOr<std::unique_ptr<StoreWriter>> open_writer() = 0;

  virtual StatusOr<int64_t> count_executions() = 0;
  // Streams whole rows in id order, starting after `after_id`, at most `limit` (0: all).
  virtual Status scan_executions(int64_t after_id, size_t limit,
                                 const std::function<void(const StoredRow&)>& fn) = 0;
  virtual StatusOr<std::optional<StoredRow>> find_execution(std::string_view execution_id) = 0;
  // Executions flagged anomalous (anomaly = true), newest first (by id), at most `limit`,
  // optionally only those with timestamp_us >= since_us.
  virtual Status scan_anomalies(std::optional<int64_t> since_us, size_t limit,
                                const std::function<void(const StoredRow&)>& fn) = 0;
};

}  // namespace agentlearn
