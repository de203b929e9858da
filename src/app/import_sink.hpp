#pragma once
// Where `agentlearn import` sends the valid records: a server (import_server_sink.cpp) or a
// store opened directly (import_store_sink.cpp).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "app/client_options.hpp"
#include "app/cmd_record.hpp"
#include "app/import_progress.hpp"
#include "core/execution.hpp"
#include "core/status.hpp"

namespace agentlearn::importing {

struct Pending {
  size_t line;
  std::string json;     // sent to a server as it was read
  Execution execution;  // written to a store (--db)
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Stores the batch, counting into `tally`. Records the destination refuses one by one
  // (a conflicting execution_id) are counted as rejected and the rest are sent again. A
  // non-ok Status means the destination failed and the import must stop.
  virtual Status send(std::vector<Pending>& batch, Tally& tally) = 0;
};

// Batches to POST /agent/performance/batch; a 503 is retried for up to `retry_budget`
// (Retry-After, else exponential backoff), a 413 splits the batch, records the server names
// (400/409) are rejected alone and the rest sent again.
std::unique_ptr<Sink> server_sink(const ClientOptions& options, std::chrono::seconds retry_budget,
                                  Progress& progress);
// Writes batches to the store itself (--db), a conflicting record rejected alone.
std::unique_ptr<Sink> store_sink(std::unique_ptr<DirectWriter> writer);

}  // namespace agentlearn::importing
