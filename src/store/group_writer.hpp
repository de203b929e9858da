#pragma once
// Group commit: one thread owns the store's write connection. Concurrent record requests
// queue here; the thread takes everything pending, writes it in one transaction with one
// fsync, and only then answers each request. This is how durable single-record ingest
// reaches tens of thousands of records per second (measured: 8.5k rows/s at one row per
// transaction, 260k+ at hundreds).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "core/execution.hpp"
#include "core/execution_json.hpp"
#include "core/status.hpp"
#include "metrics/registry.hpp"
#include "store/embedding_store.hpp"
#include "store/embedding_writer.hpp"
#include "store/execution_store.hpp"

namespace agentlearn {

// The answer to one submitted request. Either every record was stored (or found to be a
// duplicate of an identical stored record), or nothing of the request was.
struct WriteOutcome {
  Status status;                          // kConflict when `conflicts` is not empty
  std::vector<StoredExecution> results;   // one per record, in order, when ok
  std::vector<RecordError> conflicts;     // records whose execution_id holds other content
};

using WriteCallback = std::function<void(WriteOutcome)>;

struct GroupWriterOptions {
  size_t max_group_records = 20000;   // a group stops growing past this (one request is never split)
  size_t max_queued_records = 200000; // beyond this, submissions are refused with kUnavailable
  metrics::Registry* registry = nullptr;  // when set: group sizes and commit times are exported
  // After a commit, the writer waits up to this fraction of that commit's duration (and at
  // most max_linger) for as many records as the commit's group held, beyond those that queued
  // meanwhile: the clients its answers freed, coming back. They join the next group instead of
  // making a small group of their own. Where a commit is an fsync of milliseconds, one group
  // of 32 costs about what one of 16 does, so this nearly doubles what a fixed number of
  // clients can record. The wait ends as soon as that many records are queued. 0: no wait.
  double linger_fraction = 0.5;
  std::chrono::microseconds max_linger{5000};
};

struct GroupWriterStats {
  uint64_t groups = 0;
  uint64_t records = 0;
  uint64_t failures = 0;
  size_t embedding_batches_waiting = 0;  // save_embeddings() calls not yet in a transaction
};

class GroupWriter {
 public:
  GroupWriter(std::unique_ptr<StoreWriter> writer, GroupWriterOptions options = {});
  ~GroupWriter();
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // Queues the records; `done` runs on the completion thread after the commit (or failure).
  // Returns kUnavailable at once (without calling `done`) when the queue is full or stopped.
  Status submit(std::vector<Execution> records, WriteCallback done);

  // Writes what is queued, then stops the thread. Idempotent.
  void stop();

  GroupWriterStats stats() const;

  // True when the writer's connection can store embeddings (save_embeddings() below).
  bool writes_embeddings() const { return embeddings_ != nullptr; }
  // Stores the embeddings in the transaction of the next group, beside its executions, so
  // they cost no commit and no fsync of their own (with no executions queued, in a
  // transaction of their own). Blocks until committed. Rows that fail (a bad row, the
  // store) fail alone: the group's executions are then written without them. kUnavailable
  // once stopped. Not to be called from the writer's completion callbacks.
  Status save_embeddings(std::span<const EmbeddingRecord> rows);

  // Where a group's answers run. By default the writer's own completion thread; a server
  // hands in its event loop instead, so that one wake-up answers a whole group rather than
  // one cross-thread wake per request (on a 2-core VM a context switch costs ~20 us, the
  // largest single item in the ingest profile). Pass nullptr to go back to the default,
  // e.g. before the event loop stops.
  using CompletionExecutor = std::function<void(std::function<void()>)>;
  void set_completion_executor(CompletionExecutor executor);

 private:
  struct Pending {
    std::vector<Execution> records;
    WriteCallback done;
  };
  // Embeddings waiting for the next group's transaction, and where their outcome goes.
  struct SideWrite {
    std::span<const EmbeddingRecord> rows;  // the caller's, alive until `done` (it waits)
    std::function<void(Status)> done;
  };
  struct Completed {
    std::vector<Pending> group;
    std::vector<WriteOutcome> outcomes;  // one per request; empty: every request gets `status`
    Status status;
  };
  void run();
  void run_completions();
  static void answer(Completed& c);
  void write_group(std::vector<Pending> group, std::vector<SideWrite> side);
  // `side` is written in the same transaction after the executions; when writing it fails,
  // `side_failed` is set (and the transaction rolled back).
  Status try_write_group(std::vector<Pending>& group, std::vector<WriteOutcome>& outcomes,
                         const std::vector<SideWrite>& side, Status* side_failed);

  std::unique_ptr<StoreWriter> writer_;
  EmbeddingWriter* embeddings_ = nullptr;  // writer_'s, when it writes embeddings
  GroupWriterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  std::vector<SideWrite> side_;  // embeddings for the next transaction
  size_t queued_records_ = 0;
  // A submission wakes the writer once this many records are queued (1 while it waits for
  // work, the linger target while it lingers, never while it writes).
  size_t wake_at_ = 1;
  // Records queued when the last group's commit ended, before its answers went out: those
  // that arrive later may be its clients coming back.
  size_t queued_at_commit_ = 0;
  bool stopping_ = false;
  GroupWriterStats stats_;
  metrics::Histogram* group_records_ = nullptr;
  metrics::Histogram* group_seconds_ = nullptr;

  // Answering a group's requests wakes I/O threads, one futex call each (measured: about
  // half of a 16-record group's commit time). A second thread does it, so the writer goes
  // straight on to the next group.
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::deque<Completed> done_queue_;
  bool writer_finished_ = false;
  CompletionExecutor executor_;  // guarded by done_mu_
  std::thread completer_;
  std::thread thread_;
};

}  // namespace agentlearn
