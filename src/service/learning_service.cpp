#include "service/learning_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/time.hpp"

namespace agentlearn {

namespace {

// The rollup's options, telling `analytics` of every round this process commits.
AnalyticsRollupOptions with_round_hook(AnalyticsRollupOptions options, Analytics& analytics) {
  options.on_round = [&analytics](const RollupRound& round) { analytics.round_committed(round); };
  return options;
}

void register_cell_cache_metrics(metrics::Registry& registry, const Analytics& analytics) {
  std::shared_ptr<const CellCache> cache = analytics.cell_cache();
  registry.gauge_callback("analytics_cell_cache_bytes", "Memory the in-process copy of the analytics cells holds (about)",
                          [cache] { return static_cast<double>(cache->stats().bytes); });
  registry.gauge_callback("analytics_cell_cache_buckets", "Buckets of analytics cells the in-process copy holds",
                          [cache] { return static_cast<double>(cache->stats().buckets); });
  registry.counter_callback("analytics_cell_cache_hits_total", "Buckets of analytics cells answered from the copy",
                            [cache] { return static_cast<double>(cache->stats().hits); });
  registry.counter_callback("analytics_cell_cache_misses_total", "Buckets of analytics cells read from the store",
                            [cache] { return static_cast<double>(cache->stats().misses); });
  registry.counter_callback("analytics_cell_cache_resets_total",
                            "Times the copy of the analytics cells started over after a round it did not know of",
                            [cache] { return static_cast<double>(cache->stats().resets); });
  registry.counter_callback("analytics_cell_cache_evictions_total",
                            "Buckets of analytics cells dropped from the copy for its memory cap",
                            [cache] { return static_cast<double>(cache->stats().evictions); });
}

}  // namespace

LearningService::LearningService(Store& store, GroupWriter& writer, metrics::Registry& registry,
                                 ServiceOptions options)
    : store_(store),
      writer_(writer),
      options_(options),
      started_(std::chrono::steady_clock::now()),
      store_connected_(std::make_shared<std::atomic<bool>>(store.ping().ok())),
      recorded_(registry.counter("executions_recorded_total", "Executions durably stored").labels()),
      duplicates_(registry.counter("executions_duplicate_total",
                                   "Executions received again with a known execution_id and the same content")
                      .labels()),
      refused_(registry),
      models_(store.models(), registry),
      modes_(store.settings(), options.learning.exploration_rate),
      log_(options.log_recommendations ? std::make_unique<RecommendationLog>(store.recommendation_log(), registry) : nullptr),
      recommender_(rules_, models_, modes_, log_.get(), options.learning.plausible_agents, registry,
                   options.metrics_max_agents),
      online_(store.recommendation_log(), now_us()),
      trainer_(store.executions(), store.models(), models_, options.learning, registry),
      similar_(store.embeddings(), models_, options.learning.similarity, registry),
      anomalies_(registry.counter("anomalies_detected_total", "Recorded executions the anomaly detector flagged")
                     .labels()),
      analytics_(store.analytics(), options.analytics),
      rollup_(store.analytics(), &registry, with_round_hook(options.rollup, analytics_)) {
  register_cell_cache_metrics(registry, analytics_);
  auto connected = store_connected_;
  registry.gauge_callback("store_up", "1 when the store answers, 0 when it does not",
                          [connected] { return connected->load() ? 1.0 : 0.0; });
  auto writable = store_writable_;
  registry.gauge_callback("store_writable", "1 when the last write probe of the store succeeded, 0 when not",
                          [writable] { return writable->load() ? 1.0 : 0.0; });
  auto started = started_;
  registry.gauge_callback("process_uptime_seconds", "Seconds since the service started", [started] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  });
  // The first write probe before anything is served, so that a new server is ready (and
  // /health says healthy) from its first request; later ones run on the health thread.
  if (store_connected_->load()) probe_store_writes();
  health_thread_ = std::thread([this] { monitor_health(); });
  // What the store already knows: the rules' statistics, the active model set, the mode.
  // A store that is down now is not fatal: the trainer's poll loads the set later.
  if (Status st = load_rules(); !st.ok()) spdlog::warn("cannot read executions for the rules: {}", st.message());
  if (auto synced = models_.sync_from_store(); !synced.ok()) {
    spdlog::warn("cannot load the active model set: {}", synced.status().message());
  }
  if (Status st = modes_.load(); !st.ok()) spdlog::warn("cannot read the learning mode: {}", st.message());
  // The embedder's vectors ride in the group writer's transactions where its connection can
  // write them: no commit (and no fsync) of their own beside the ingest's.
  if (writer_.writes_embeddings()) {
    similar_.set_sink([this](std::span<const EmbeddingRecord> rows) { return writer_.save_embeddings(rows); });
  }
  if (options_.start_trainer) {
    trainer_.start();
    similar_.start();
  }
  if (options_.start_rollup) rollup_.start();
}

Status LearningService::load_rules() {
  std::vector<Execution> page;
  int64_t after = 0;
  // Pages keep memory bounded on a big store.
  while (true) {
    page.clear();
    Status st = store_.executions().scan_executions(after, 10'000, [&](const StoredRow& r) {
      after = r.id;
      page.push_back(r.execution);
    });
    if (!st.ok()) return st;
    if (page.empty()) return Status::Ok();
    rules_.add(page);
    contexts_.add(page);
    trainer_.note_recorded(page.size());
  }
}

LearningService::~LearningService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
  rollup_.stop();
  similar_.stop();
  trainer_.stop();
}

void LearningService::monitor_health() {
  std::unique_lock lock(mu_);
  auto next_probe = std::chrono::steady_clock::now() + (probe_.done ? options_.write_probe_interval
                                                                      : std::chrono::milliseconds(0));
  while (!stopping_) {
    lock.unlock();
    Status st = store_.ping();
    bool was = store_connected_->exchange(st.ok());
    if (was && !st.ok()) spdlog::error("store is unreachable: {}", st.message());
    if (!was && st.ok()) spdlog::info("store is reachable again");
    if (st.ok() && options_.start_rollup) rollup_.refresh_backlog();
    if (std::chrono::steady_clock::now() >= next_probe) {
      probe_store_writes();
      next_probe = std::chrono::steady_clock::now() + options_.write_probe_interval;
    }
    lock.lock();
    cv_.wait_for(lock, options_.health_interval, [&] { return stopping_ || ping_now_; });
    ping_now_ = false;
  }
}

void LearningService::probe_store_writes() {
  Status st = store_.probe_write();
  bool stored = false;
  if (auto history = store_.models().activations(); history.ok()) {
    stored = !history->empty();
  } else {
    stored = true;  // unknown: do not call a store ready whose models cannot be checked
  }
  const bool was = store_writable_->exchange(st.ok());
  if (was && !st.ok()) spdlog::error("store is not writable: {}", st.message());
  if (!was && st.ok() && probe_.done) spdlog::info("store is writable again");
  std::lock_guard lock(probe_mu_);
  probe_.writable = st.ok();
  probe_.error = st.ok() ? std::string() : st.message();
  probe_.model_set_stored = stored;
  probe_.at = std::chrono::steady_clock::now();
  probe_.done = true;
}

void LearningService::record(std::vector<Execution> records, WriteCallback done) {
  const size_t n = records.size();
  if (!store_connected_->load()) {
    refused_.add(RefusalReason::kStoreUnavailable, n);
    WriteOutcome o;
    o.status = Status::Unavailable("the store is unreachable; retry shortly");
    return done(std::move(o));
  }
  // Anomaly scores from the active set's detector: cheap outcome features, no text. A run of
  // an agent (or agent and task type) the set has no history for stays unscored (null).
  if (auto active = models_.active()) {
    const ml::AnomalyDetector& detector = active->set->anomaly_detector();
    for (Execution& e : records) {
      if (!detector.has_history(e)) continue;
      double score = detector.score(e);
      e.anomaly_score = score;
      e.anomaly = detector.is_anomaly(score);
    }
  }
  // What the rules learn once the rows are stored (the rows themselves go to the writer).
  auto learned = std::make_shared<std::vector<Execution>>();
  learned->reserve(n);
  for (const Execution& e : records) {
    Execution slim;
    slim.agent_id = e.agent_id;
    slim.task_type = e.task_type;
    slim.success = e.success;
    slim.execution_time = e.execution_time;  // the rules' time and cost estimates
    slim.cost_usd = e.cost_usd;
    slim.anomaly = e.anomaly;
    slim.anomaly_score = e.anomaly_score;
    slim.context_json = e.context_json;
    learned->push_back(std::move(slim));
  }
  auto shared_done = std::make_shared<WriteCallback>(std::move(done));
  Status st = writer_.submit(std::move(records), [this, n, shared_done, learned](WriteOutcome outcome) {
    if (outcome.status.ok()) {
      uint64_t dups = 0, flagged = 0;
      std::vector<Execution> fresh;
      fresh.reserve(n);
      for (size_t i = 0; i < outcome.results.size() && i < learned->size(); ++i) {
        if (outcome.results[i].duplicate) {
          ++dups;
          continue;
        }
        outcome.results[i].anomaly_score = (*learned)[i].anomaly_score;
        outcome.results[i].anomaly = (*learned)[i].anomaly;
        flagged += (*learned)[i].anomaly.value_or(false) ? 1 : 0;
        fresh.push_back(std::move((*learned)[i]));
      }
      rules_.add(fresh);
      contexts_.add(fresh);
      trainer_.note_recorded(fresh.size());
      if (!fresh.empty()) similar_.poke();
      if (flagged) anomalies_.inc(static_cast<double>(flagged));
      if (n - dups) recorded_.inc(static_cast<double>(n - dups));
      if (dups) duplicates_.inc(static_cast<double>(dups));
    } else {
      refused_.add(outcome.conflicts.empty() ? refusal_reason_of(outcome.status) : RefusalReason::kConflict, n);
      // Maybe the store is down, maybe a replica raced us: let the health thread ping now.
      if (outcome.status.code() == StatusCode::kUnavailable) {
        {
          std::lock_guard lock(mu_);
          ping_now_ = true;
        }
        cv_.notify_all();
      }
    }
    (*shared_done)(std::move(outcome));
  });
  if (!st.ok()) {  // the queue is full: overloaded, not down
    refused_.add(RefusalReason::kOverloaded, n);
    WriteOutcome o;
    o.status = st;
    (*shared_done)(std::move(o));
  }
}

StatusOr<AgentsPerformanceReport> LearningService::agents_performance(const ExecutionFilter& filter) {
  // From the analytics cells (service/analytics.hpp), not a scan of the executions.
  auto figures = analytics_.performance(filter);
  if (!figures.ok()) return figures.status();
  AgentsPerformanceReport report;
  report.total_executions = figures->total_executions;
  report.agents = std::move(figures->agents);
  report.exact_percentiles = figures->exact_percentiles;
  return report;
}

HealthReport LearningService::health() const {
  HealthReport h;
  h.models = models_.active();
  h.store_connected = store_connected_->load();
  h.backend = store_.backend();
  h.vector_storage = store_.embeddings().vector_storage();
  h.similarity = similar_.status();
  h.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  h.rollup = rollup_.status();
  {
    std::lock_guard lock(probe_mu_);
    h.store_writable = probe_.writable;
    h.store_write_error = probe_.error;
    // The probe runs every health_interval; a set trained and activated since is loaded
    // only after it was stored, so a loaded set is a stored one whatever the last probe saw
    // ("models_loaded": true beside "model_set_stored": false misled a reader).
    h.model_set_stored = probe_.model_set_stored || h.models != nullptr;
    if (probe_.done) {
      h.write_probe_age_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - probe_.at).count();
    }
  }
  return h;
}

}  // namespace agentlearn

namespace agentlearn {

StatusOr<RecommendAnswer> LearningService::recommend(const RecommendRequest& request) const {
  auto answer = recommender_.recommend(request);
  if (answer.ok()) attach_similar(request.task_description, *answer);
  return answer;
}

void LearningService::attach_similar(const std::string& text, RecommendAnswer& answer) const {
  const size_t k = similar_.options().recommend_k;
  if (k == 0 || text.empty()) return;
  SimilarQuery q;
  q.text = text;
  q.k = k;
  auto found = similar_.search(q);
  // No index yet, or the store failed: the recommendation stands without them.
  if (!found.ok() || found->results.empty()) return;
  answer.similar_tasks = std::move(found->results);
  const SimilarTask& t = answer.similar_tasks.front();
  std::vector<std::string> solved, failed;
  for (const TaskRun& r : t.runs) {
    auto& list = r.success ? solved : failed;
    if (std::find(list.begin(), list.end(), r.agent_id) == list.end()) list.push_back(r.agent_id);
  }
  auto names = [](const std::vector<std::string>& agents) {
    std::string out;
    for (size_t i = 0; i < agents.size() && i < 3; ++i) out += (i == 0 ? "" : ", ") + agents[i];
    if (agents.size() > 3) out += fmt::format(" and {} more", agents.size() - 3);
    return out;
  };
  std::string sentence = fmt::format(" Most similar past task: {} (similarity {:.2f})", t.task_id, t.similarity);
  if (!solved.empty()) sentence += ", solved by " + names(solved);
  if (!failed.empty()) sentence += std::string(solved.empty() ? ", " : "; ") + "failed by " + names(failed);
  answer.reasoning += sentence + ".";
}

StatusOr<AgentProfile> LearningService::agent_profile(const std::string& agent_id,
                                                      const std::optional<RecommendRequest>& task) const {
  AgentProfile p;
  p.agent_id = agent_id;
  bool known = rules_.read([&](const ml::SuccessRules& r) {
    if (!r.knows(agent_id)) return false;
    auto all = r.agent_counts(agent_id);
    p.runs = all.runs;
    p.successes = all.successes;
    p.success_rate = r.rate(agent_id, "");
    for (const auto& [type, counts] : r.agent_types(agent_id)) {
      TypeRecord t{type, counts.runs, counts.successes, r.rate_against_field(agent_id, type), r.type_rate(type)};
      (t.success_rate > t.others_rate ? p.strengths : p.weaknesses).push_back(std::move(t));
    }
    return true;
  });
  if (!known) return Status{StatusCode::kNotFound, "no executions of agent '" + agent_id + "' are recorded", "agent_id"};
  p.by_context = contexts_.agent(agent_id);
  auto lift = [](const TypeRecord& t) { return t.success_rate - t.others_rate; };
  std::sort(p.strengths.begin(), p.strengths.end(), [&](const auto& a, const auto& b) { return lift(a) > lift(b); });
  std::sort(p.weaknesses.begin(), p.weaknesses.end(), [&](const auto& a, const auto& b) { return lift(a) < lift(b); });
  if (task) {
    auto answer = recommender_.recommend(*task);
    if (!answer.ok()) return answer.status();
    p.task = std::move(*answer);
  }
  return p;
}

StatusOr<std::vector<StoredRow>> LearningService::anomalies(std::optional<int64_t> since_us, size_t limit) {
  std::vector<StoredRow> out;
  Status st = store_.executions().scan_anomalies(since_us, limit, [&](const StoredRow& r) { out.push_back(r); });
  if (!st.ok()) return st;
  return out;
}

std::vector<AnomalyExplanation> LearningService::explain_anomalies(const std::vector<StoredRow>& rows) const {
  std::vector<AnomalyExplanation> out(rows.size());
  auto active = models_.active();
  if (!active) return out;
  const ml::AnomalyDetector& detector = active->set->anomaly_detector();
  for (size_t i = 0; i < rows.size(); ++i) {
    out[i].reasons = ml::explain_anomaly(detector, rows[i].execution);
    out[i].why = ml::describe_anomaly(rows[i].execution, out[i].reasons);
  }
  return out;
}

StatusOr<ModelsStatus> LearningService::models_status() {
  ModelsStatus s;
  s.active = models_.active();
  auto sets = store_.models().list_model_sets();
  if (!sets.ok()) return sets.status();
  s.sets = std::move(*sets);
  auto history = store_.models().activations();
  if (!history.ok()) return history.status();
  s.activations = std::move(*history);
  s.training = trainer_.state();
  s.online_max_age_seconds = std::chrono::duration<double>(online_.max_age()).count();
  if (s.active) {
    // The status stands without it when the log cannot be read.
    auto online = online_.get(s.active->version, log_ ? static_cast<int64_t>(log_->written_for(s.active->version)) : 0);
    if (online.ok()) {
      s.online = std::move(*online);
    } else {
      spdlog::warn("cannot read the recommendation log: {}", online.status().message());
    }
  }
  return s;
}

Status LearningService::rollback(const std::string& version) { return models_.activate(version, "rollback"); }

StatusOr<TrainingJob> LearningService::train(std::string trigger, Trainer::JobCallback done) {
  if (!options_.start_trainer) return Status::Conflict("this process runs no trainer");
  if (done) {
    // A caller that waits for the run gets its answer once the new set also serves similar
    // tasks: a set with a new embedding needs the index rebuilt with it, and a question asked
    // right after the answer must not find it "being built".
    done = [this, done = std::move(done)](const TrainingJob& job) {
      if (job.promoted) {
        if (Status st = similar_.sync_now(); !st.ok()) {
          spdlog::warn("similar tasks not ready for set {}: {}", job.version, st.message());
        }
      }
      done(job);
    };
  }
  return trainer_.request(std::move(trigger), std::move(done));
}

TrainingJob LearningService::train_now() {
  TrainingJob job;
  job.trigger = "cli";
  return trainer_.run_now(std::move(job));
}

StatusOr<ModeSetting> LearningService::set_mode(std::optional<LearningMode> mode, std::optional<double> rate) {
  return modes_.set(mode, rate);
}

void LearningService::flush_recommendation_log() {
  if (log_) log_->flush();
}

}  // namespace agentlearn
