#include "service/trainer.hpp"

#include "service/thread_priority.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/elapsed.hpp"
#include "core/json_text.hpp"
#include "core/time.hpp"
#include "ml/feature_importance.hpp"
#include "ml/model_set_evaluation.hpp"
#include "ml/promotion.hpp"
#include "ml/routing_evaluation.hpp"
#include "service/model_targets.hpp"

namespace agentlearn {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// "v1.<n>.0_<UTC time>": the major part is the model-set format, the minor part counts the
// sets this store has seen, the time says when training finished.
std::string version_name(size_t sequence, int64_t at_us) {
  std::time_t secs = static_cast<std::time_t>(at_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return fmt::format("v1.{}.0_{}", sequence, stamp);
}

std::string algorithm_of(std::string_view model, const ml::ModelSet& set) {
  if (model == "agent_selector") return "random forest (XGBoost random-forest mode)";
  if (model == "performance_predictor") return "gradient boosting regression (XGBoost), log time and log cost";
  if (model == "task_classifier") return "neural network (MLP on TF-IDF words and bigrams)";
  if (model == "anomaly_detector") return "isolation forest";
  if (model == "embedding_generator") {
    return set.has_embedding_generator() ? set.embedding_generator().description() : "TF-IDF + truncated SVD (LSA)";
  }
  return "";
}

nlohmann::json metrics_of(std::string_view model, const ml::ModelSetMetrics& m) {
  if (model == "agent_selector") return {{"roc_auc", number(m.selector_auc)}, {"log_loss", number(m.selector_log_loss)}};
  if (model == "performance_predictor") {
    return {{"r2_log_time", number(m.r2_log_time)}, {"r2_log_cost", number(m.r2_log_cost)}};
  }
  if (model == "task_classifier") return {{"accuracy", number(m.classifier_accuracy)}};
  if (model == "embedding_generator") return {{"knn_task_type_accuracy", number(m.embedding_knn_accuracy)}};
  if (model == "anomaly_detector") return {{"roc_auc", number(m.anomaly_auc)}};
  return nlohmann::json::object();
}

// Feature gains as stored with the set: [{"feature", "gain"}], null when they cannot be read.
nlohmann::json importance_json(const StatusOr<std::vector<ml::FeatureGain>>& gains) {
  if (!gains.ok()) return nullptr;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& g : *gains) out.push_back({{"feature", g.feature}, {"gain", g.gain}});
  return out;
}

// Every policy's held-out figure, with the paired standard error of routed minus it.
nlohmann::json policies_json(const std::vector<ml::PolicyFigure>& figures) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : figures) {
    out.push_back({{"policy", f.policy},
                   {"description", f.description},
                   {"success", number(f.success)},
                   {"mean_cost_usd", number(f.cost)},
                   {"difference_se", number(f.difference_se)}});
  }
  return out;
}

// How the set chose the policy it serves: each policy's out-of-fold success on the training
// tasks and the paired standard error of the served one minus it.
nlohmann::json selection_json(const ml::PolicySelection& s) {
  nlohmann::json scores = nlohmann::json::array();
  for (const auto& p : s.scores) {
    scores.push_back({{"policy", p.policy}, {"success", number(p.success)}, {"difference_se", number(p.difference_se)}});
  }
  return {{"served", s.served},
          {"folds", s.folds},
          {"tasks", s.tasks},
          {"seconds", s.seconds},
          {"missing", s.missing.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.missing)},
          {"scores", scores}};
}

// A set's held-out routing quality as stored in its summary; null when there were no
// held-out tasks or they could not be replayed.
nlohmann::json routing_json(const StatusOr<ml::HoldoutRouting>& r) {
  if (!r.ok() || r->tasks == 0) return nullptr;
  return {{"tasks", r->tasks},
          {"routed", number(r->routed_success)},
          {"best_single", number(r->best_single_success)},
          {"best_single_agent", r->best_single_agent},
          {"rules", number(r->rules_success)},
          {"oracle", number(r->oracle_success)},
          {"random", number(r->random_success)},
          {"served_policy", r->served_policy},
          {"policies", policies_json(r->policies)},
          {"mean_cost_usd",
           {{"routed", number(r->routed_cost)},
            {"best_single", number(r->best_single_cost)},
            {"rules", number(r->rules_cost)},
            {"oracle", number(r->oracle_cost)},
            {"random", number(r->random_cost)}}}};
}

// The run's and each model's figures, as stored with the set and shown in /models/status.
nlohmann::json summarise(const ml::ModelSet& set, const ml::ModelSetMetrics& m, const LearningOptions& options,
                         const std::string& version, int64_t trained_us, uint64_t snapshot, size_t training_rows,
                         double seconds) {
  nlohmann::json models = nlohmann::json::object();
  auto parameters = ml::list_model_parameters(options.models);
  for (const auto& v : set.versions()) {
    if (v.model == "features") continue;  // the shared feature statistics, not a model
    nlohmann::json j;
    j["algorithm"] = algorithm_of(v.model, set);
    j["version"] = v.version;
    if (const ml::ModelTrainingReport* r = set.report_of(v.model)) {
      j["training_samples"] = r->samples;
      j["training_seconds"] = r->seconds;
      j["reused"] = r->reused;
      j["missing"] = r->missing.empty() ? nlohmann::json(nullptr) : nlohmann::json(r->missing);
    }
    j["metrics"] = metrics_of(v.model, m);
    double acc = v.model == "performance_predictor" ? m.r2_log_time : target_figure(v.model, m);
    j["accuracy"] = number(acc);
    j["below_target"] = below_target(target_figure(v.model, m), options.model_accuracy_target);
    const char* metric = target_metric(v.model);
    j["target_metric"] = metric ? nlohmann::json(metric) : nlohmann::json(nullptr);
    if (v.model == "agent_selector") j["feature_importance"] = importance_json(ml::selector_importance(set));
    if (v.model == "performance_predictor") {
      j["feature_importance"] = importance_json(ml::predictor_importance(set, false));
      j["feature_importance_cost"] = importance_json(ml::predictor_importance(set, true));
    }
    nlohmann::json params = nlohmann::json::object();
    for (const auto& p : parameters) {
      if (p.model == v.model) params[p.name] = p.value;
    }
    j["parameters"] = params;
    models[v.model] = j;
  }
  return {{"version", version},
          {"trained_at", format_rfc3339(trained_us)},
          {"snapshot_executions", snapshot},
          {"training_executions", training_rows},
          {"holdout_executions", m.rows},
          {"holdout_tasks", m.tasks},
          {"training_seconds", seconds},
          {"model_accuracy_target", options.model_accuracy_target},
          {"policy_selection", selection_json(set.policy_selection())},
          {"models", models}};
}

}  // namespace

Trainer::Trainer(ExecutionStore& executions, ModelStore& model_sets, ModelRegistry& models,
                 const LearningOptions& options, metrics::Registry& registry)
    : execution_store_(executions),
      model_store_(model_sets),
      models_(models),
      options_(options),
      runs_(registry.counter("training_runs_total", "Training runs by result (promoted, rejected, failed)",
                             {"result"})),
      duration_(registry
                    .histogram("model_training_duration_seconds", "Duration of a whole training run", {},
                               metrics::exponential_buckets(0.25, 2, 14))
                    .labels()),
      last_success_(registry
                        .gauge("training_last_success_timestamp_seconds",
                               "When the last training run that ended without error finished (0: none yet)")
                        .labels()),
      due_(registry
               .gauge("training_due",
                      "1 while enough new executions wait for the trainer to retrain (retrain_threshold since the "
                      "active set's snapshot, or min_training_executions and no set); 0 otherwise")
               .labels()) {
  // Every result from the start, at 0: an alert on increase() sees the first failure.
  for (const char* result : {"promoted", "rejected", "failed"}) runs_.labels({result});
}

Trainer::~Trainer() { stop(); }

void Trainer::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { loop(); });
}

void Trainer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

StatusOr<TrainingJob> Trainer::request(std::string trigger, JobCallback done) {
  std::lock_guard lock(mu_);
  if (!options_.train) {
    return Status::Conflict("this server does not train (train: false); ask a replica that does");
  }
  if (pending_ || current_) {
    const TrainingJob& j = current_ ? *current_ : *pending_;
    return Status::Conflict(fmt::format("training run {} is already {}", j.id, j.status));
  }
  TrainingJob job;
  job.id = fmt::format("train-{}-{}", now_us() / 1'000'000, next_job_++);
  job.trigger = std::move(trigger);
  job.status = "queued";
  job.queued_us = now_us();
  job.summary_json = "{}";
  pending_ = job;
  if (done) waiting_.push_back(std::move(done));
  cv_.notify_all();
  return job;
}

std::optional<uint64_t> Trainer::newest_snapshot() const {
  auto sets = model_store_.list_model_sets();
  if (!sets.ok()) return std::nullopt;
  if (sets->empty()) return 0;
  // A restarted server's last success is the newest set it finds (the gauge is shared, so
  // this is not state of this object).
  if (last_success_.value() == 0) last_success_.set(static_cast<double>(sets->front().created_us) / 1e6);
  auto summary = nlohmann::json::parse(sets->front().summary_json, nullptr, false);
  return summary.is_object() ? summary.value("snapshot_executions", uint64_t{0}) : 0;
}

TrainingState Trainer::state() const {
  std::optional<uint64_t> newest;
  if (!has_snapshot()) newest = newest_snapshot();  // before the loop's first check (or no loop)
  std::lock_guard lock(mu_);
  TrainingState s;
  s.running = current_.has_value();
  s.current = current_ ? current_ : pending_;
  s.last = last_;
  s.executions = executions_;
  s.snapshot_executions = trained_snapshot_ ? *trained_snapshot_ : newest.value_or(0);
  s.retrain_threshold = options_.retrain_threshold;
  s.enabled = options_.train;
  return s;
}

void Trainer::note_recorded(uint64_t n) {
  std::lock_guard lock(mu_);
  executions_ += n;
}

void Trainer::loop() {
  // A low but guaranteed share of the CPU for this thread and the OpenMP threads it starts
  // (they inherit it): serving comes first, and a run still finishes while serving or another
  // process keeps the cores busy (service/thread_priority.hpp).
  if (!set_background_priority(options_.background)) {
    spdlog::warn("could not lower the trainer thread's priority");
  }
  auto next_check = std::chrono::steady_clock::now();
  auto next_poll = std::chrono::steady_clock::now() + options_.model_poll_interval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_poll) {
      next_poll = now + options_.model_poll_interval;
      lock.unlock();
      if (auto changed = models_.sync_from_store(); !changed.ok()) {
        spdlog::warn("cannot read the model history: {}", changed.status().message());
      }
      lock.lock();
      continue;
    }
    if (now >= next_check && options_.train && !pending_) {
      next_check = now + options_.check_interval;
      lock.unlock();
      auto count = execution_store_.count_executions();
      std::optional<uint64_t> newest = trained_snapshot_ ? std::nullopt : newest_snapshot();
      lock.lock();
      if (!trained_snapshot_ && newest) trained_snapshot_ = newest;
      if (count.ok() && trained_snapshot_) {
        executions_ = static_cast<uint64_t>(*count);
        auto active = models_.active();
        const uint64_t base = *trained_snapshot_;
        const uint64_t fresh = executions_ > base ? executions_ - base : 0;
        const bool due = executions_ >= options_.min_training_executions && (!active || fresh >= options_.retrain_threshold);
        due_.set(due ? 1 : 0);
        if (due && (!last_ || last_->status != "failed" ||
                                                                 executions_ >= last_failed_at_ + options_.retrain_threshold)) {
          TrainingJob job;
          job.id = fmt::format("train-{}-{}", now_us() / 1'000'000, next_job_++);
          job.trigger = active ? "threshold" : "first data";
          job.status = "queued";
          job.queued_us = now_us();
          job.summary_json = "{}";
          pending_ = job;
        }
      }
      continue;
    }
    if (pending_) {
      TrainingJob job = *pending_;
      pending_.reset();
      job.status = "running";
      job.started_us = now_us();
      current_ = job;
      lock.unlock();
      TrainingJob done = run_now(std::move(job));
      lock.lock();
      current_.reset();
      last_ = done;
      if (done.status != "failed" && trained_snapshot_) {
        // Still due only if executions beyond the threshold arrived during the run.
        const uint64_t fresh = executions_ > *trained_snapshot_ ? executions_ - *trained_snapshot_ : 0;
        due_.set(fresh >= options_.retrain_threshold ? 1 : 0);
      }
      if (done.status == "failed") last_failed_at_ = executions_;
      std::vector<JobCallback> callbacks;
      callbacks.swap(waiting_);
      lock.unlock();
      for (auto& cb : callbacks) cb(done);
      lock.lock();
      continue;
    }
    auto wake = std::min(next_poll, options_.train ? next_check : next_poll);
    cv_.wait_until(lock, wake, [&] { return stopping_ || pending_.has_value(); });
  }
}

TrainingJob Trainer::run_now(TrainingJob job) {
  if (job.id.empty()) job.id = fmt::format("train-{}-0", now_us() / 1'000'000);
  if (job.status.empty() || job.status == "queued") job.status = "running";
  if (!job.started_us) job.started_us = now_us();
  auto t0 = std::chrono::steady_clock::now();
  Status st = train(job);
  job.finished_us = now_us();
  duration_.observe(seconds_since(t0));
  if (!st.ok()) {
    job.status = "failed";
    job.reason = st.message();
    runs_.labels({"failed"}).inc();
    spdlog::warn("training run {} failed: {}", job.id, st.message());
  } else {
    job.status = "succeeded";
    runs_.labels({job.promoted ? "promoted" : "rejected"}).inc();
    last_success_.set(static_cast<double>(job.finished_us) / 1e6);
  }
  return job;
}

Status Trainer::train(TrainingJob& job) {
  auto t0 = std::chrono::steady_clock::now();
  // The snapshot: every execution stored when the run starts.
  std::vector<Execution> training, holdout;
  uint64_t snapshot = 0;
  Status scan = execution_store_.scan_executions(0, 0, [&](const StoredRow& r) {
    ++snapshot;
    (ml::is_holdout_task(r.execution.task_id, options_.holdout_fraction) ? holdout : training).push_back(r.execution);
  });
  if (!scan.ok()) return scan;
  {
    std::lock_guard lock(mu_);
    executions_ = std::max(executions_, snapshot);
  }
  if (training.size() < options_.min_training_executions) {
    return Status::Invalid(fmt::format("not enough data: {} executions outside the held-out tasks, {} needed "
                                       "(min_training_executions)",
                                       training.size(), options_.min_training_executions));
  }
  auto active = models_.active();
  auto set = ml::ModelSet::train(training, options_.models, active ? active->set.get() : nullptr,
                                 options_.embedding_regrowth);
  if (!set.ok()) return set.status();
  const uint64_t seed = 42;
  ml::ModelSetMetrics metrics = ml::evaluate_model_set(**set, holdout, training, seed);
  // Routing quality on the held-out tasks, stored with the set (null when it cannot be had).
  auto held_out_routing = ml::evaluate_holdout_routing(**set, training, holdout);
  if (!held_out_routing.ok()) {
    spdlog::warn("held-out routing of the new set not computed: {}", held_out_routing.status().message());
  }
  const nlohmann::json routing = routing_json(held_out_routing);

  // The promotion rule: the held-out success of the policy each set serves, paired over the
  // same held-out tasks; the new set is kept out only by a loss beyond 2 paired standard
  // errors. The selector's log loss is reported beside it.
  bool promote = true;
  std::string reason = active ? "" : "the first model set";
  if (active) {
    ml::ModelSetMetrics old = ml::evaluate_model_set(*active->set, holdout, training, seed);
    auto old_routing = ml::evaluate_holdout_routing(*active->set, training, holdout);
    const std::string log_loss = fmt::format("; selector log loss {:.4f}, the active set's {:.4f}",
                                             metrics.selector_log_loss, old.selector_log_loss);
    if (!held_out_routing.ok() || !old_routing.ok() || held_out_routing->tasks == 0) {
      reason = fmt::format("no held-out tasks to compare the sets on (the active set was {}){}", active->version,
                           log_loss);
    } else {
      ml::PromotionVerdict v = ml::compare_held_out(held_out_routing->routed_per_task, old_routing->routed_per_task);
      promote = v.promote;
      reason = fmt::format(
          "held-out success {:.4f} ({}) {} the active set {}'s {:.4f} ({}) by more than 2 paired standard errors "
          "(difference {:+.4f}, standard error {:.4f}, {} tasks){}",
          v.new_success, held_out_routing->served_policy, promote ? "is not below" : "is below", active->version,
          v.active_success, old_routing->served_policy, v.difference, v.standard_error, v.tasks, log_loss);
    }
  }

  auto existing = model_store_.list_model_sets();
  if (!existing.ok()) return existing.status();
  ModelSetRecord record;
  record.created_us = now_us();
  record.rejected = !promote;
  record.reason = promote ? "" : reason;
  record.blob = (*set)->serialize();
  Status saved;
  for (size_t attempt = 0; attempt < 5; ++attempt) {  // another replica may take the same name
    record.version = version_name(existing->size() + 1 + attempt, record.created_us);
    nlohmann::json summary = summarise(**set, metrics, options_, record.version, record.created_us, snapshot,
                                       training.size(), seconds_since(t0));
    summary["routing"] = routing;
    summary["promotion"] = {{"promoted", promote}, {"reason", reason},
                            {"compared_with", active ? nlohmann::json(active->version) : nlohmann::json(nullptr)}};
    record.summary_json = json_text(summary);
    saved = model_store_.save_model_set(record);
    if (saved.code() != StatusCode::kConflict) break;
  }
  if (!saved.ok()) return saved;
  {
    std::lock_guard lock(mu_);
    trained_snapshot_ = snapshot;
  }
  job.version = record.version;
  job.promoted = promote;
  job.reason = reason;
  job.summary_json = record.summary_json;
  if (promote) {
    if (Status st = models_.activate_trained(std::move(*set), record, "promoted: " + reason); !st.ok()) return st;
  } else {
    spdlog::info("model set {} rejected: {}", record.version, reason);
  }
  return Status::Ok();
}

}  // namespace agentlearn
