#pragma once
// The training loop: one background thread at low priority. Every check_interval it retrains
// when retrain_threshold new executions arrived; a run can also be asked for
// (POST /learning/train). A run reads a snapshot of the store, trains a model set on the tasks
// outside the held-out split, evaluates it and the active set on the held-out tasks, stores it
// (accepted or rejected, with its figures) and, if the promotion rule allows, activates it
// with one swap. It also picks up sets other replicas activated.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.hpp"
#include "metrics/registry.hpp"
#include "service/learning_options.hpp"
#include "service/model_registry.hpp"
#include "store/execution_store.hpp"
#include "store/model_store.hpp"

namespace agentlearn {

struct TrainingJob {
  std::string id;
  std::string trigger;  // "api", "threshold", "first data"
  std::string status;   // queued, running, succeeded (a set was stored), failed
  int64_t queued_us = 0, started_us = 0, finished_us = 0;
  std::string version;       // the set stored, if any
  bool promoted = false;     // it became active
  std::string reason;        // why it was (not) promoted, or why the run failed
  std::string summary_json;  // the stored set's figures ("{}" until done)
};

struct TrainingState {
  bool running = false;
  std::optional<TrainingJob> current;  // queued or running
  std::optional<TrainingJob> last;     // the last finished run
  uint64_t executions = 0;             // in the store at the last check
  uint64_t snapshot_executions = 0;    // the newest stored set's snapshot (the last training)
  uint64_t retrain_threshold = 0;
  bool enabled = true;
};

class Trainer {
 public:
  using JobCallback = std::function<void(const TrainingJob&)>;

  Trainer(ExecutionStore& executions, ModelStore& model_sets, ModelRegistry& models,
          const LearningOptions& options, metrics::Registry& registry);
  ~Trainer();  // stops the thread after the run in progress
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  void start();
  void stop();

  // Queues a run now. kConflict while one is queued or running. `done` (may be empty) runs on
  // the trainer thread when it ends.
  StatusOr<TrainingJob> request(std::string trigger, JobCallback done = {});

  TrainingState state() const;
  // Tells the loop executions were recorded (for status only; the loop counts the store).
  void note_recorded(uint64_t n);

  // One run on the calling thread (the CLI's `train --db`, and the loop).
  TrainingJob run_now(TrainingJob job);

 private:
  void loop();
  Status train(TrainingJob& job);
  // The snapshot size recorded with the newest stored set (0 when none; nullopt when the
  // store cannot say). Reads the store: call without mu_ held.
  std::optional<uint64_t> newest_snapshot() const;
  bool has_snapshot() const {
    std::lock_guard lock(mu_);
    return trained_snapshot_.has_value();
  }

  ExecutionStore& execution_store_;
  ModelStore& model_store_;
  ModelRegistry& models_;
  LearningOptions options_;
  metrics::Family<metrics::Counter>& runs_;
  metrics::Histogram& duration_;
  metrics::Gauge& last_success_;  // Unix seconds of the last run that ended without error
  metrics::Gauge& due_;           // 1 while the retraining rule says a run is due
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  std::optional<TrainingJob> pending_;
  std::optional<TrainingJob> current_;
  std::optional<TrainingJob> last_;
  std::vector<JobCallback> waiting_;  // callbacks of the pending/current job
  uint64_t executions_ = 0;
  uint64_t last_failed_at_ = 0;  // executions when a run last failed: wait for new data
  // Executions in the store when the newest stored set was trained (whether it is active or
  // not: after a rollback the loop waits for new data instead of retraining at once).
  std::optional<uint64_t> trained_snapshot_;
  uint64_t next_job_ = 1;
  std::thread thread_;
};

}  // namespace agentlearn
