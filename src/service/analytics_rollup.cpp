#include "service/analytics_rollup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/time.hpp"

namespace agentlearn {

AnalyticsRollup::AnalyticsRollup(AnalyticsStore& store, metrics::Registry* registry, AnalyticsRollupOptions options)
    : store_(store), options_(options) {
  if (registry == nullptr) return;
  rounds_total_ = &registry->counter("analytics_rollup_rounds_total",
                                     "Rollup rounds that added journaled executions to the analytics cells")
                       .labels();
  executions_total_ =
      &registry->counter("analytics_rollup_executions_total", "Executions the rollup added to the analytics cells")
           .labels();
  failures_total_ =
      &registry->counter("analytics_rollup_failures_total", "Rollup rounds (or backlog reads) that failed").labels();
  pending_rows_ = &registry->gauge("analytics_rollup_pending_journal_rows",
                                   "Analytics journal rows waiting for a rollup round (the last look)")
                       .labels();
  pending_executions_ = &registry->gauge("analytics_rollup_pending_executions",
                                         "Executions stored but not yet in the analytics cells (the last look)")
                             .labels();
  oldest_seconds_ = &registry->gauge("analytics_rollup_oldest_pending_seconds",
                                     "Age of the oldest analytics journal row waiting for a round; 0 when none")
                         .labels();
}

AnalyticsRollup::~AnalyticsRollup() { stop(); }

void AnalyticsRollup::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  status_.running = true;
  thread_ = std::thread([this] { run(); });
}

void AnalyticsRollup::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  status_.running = false;
}

RollupStatus AnalyticsRollup::status() const {
  std::lock_guard lock(mu_);
  RollupStatus s = status_;
  s.oldest_pending_seconds = oldest_us_ ? std::max(0.0, static_cast<double>(now_us() - *oldest_us_) / 1e6) : 0.0;
  s.lagging = s.oldest_pending_seconds > options_.max_lag_seconds;
  return s;
}

void AnalyticsRollup::refresh_backlog() { note_backlog(store_.backlog()); }

void AnalyticsRollup::note_backlog(const StatusOr<RollupBacklog>& b) {
  if (!b.ok()) {
    if (failures_total_) failures_total_->inc();
    std::lock_guard lock(mu_);
    status_.last_error = b.status().message();
    return;
  }
  const double age =
      b->oldest_us ? std::max(0.0, static_cast<double>(now_us() - *b->oldest_us) / 1e6) : 0.0;
  if (pending_rows_) {
    pending_rows_->set(static_cast<double>(b->journal_rows));
    pending_executions_->set(static_cast<double>(b->executions));
    oldest_seconds_->set(age);
  }
  std::lock_guard lock(mu_);
  status_.pending_journal_rows = b->journal_rows;
  status_.pending_executions = b->executions;
  oldest_us_ = b->oldest_us;
}

bool AnalyticsRollup::round() {
  RollupOptions opts;
  opts.max_executions = options_.max_executions_per_round;
  auto r = store_.roll_up(opts);
  if (!r.ok()) {
    if (failures_total_) failures_total_->inc();
    spdlog::warn("analytics rollup: {}", r.status().message());
    std::lock_guard lock(mu_);
    status_.last_error = r.status().message();
    return true;  // wait an interval before trying again
  }
  if (r->journal_rows > 0) {
    if (options_.on_round) options_.on_round(*r);
    if (rounds_total_) {
      rounds_total_->inc();
      executions_total_->inc(static_cast<double>(r->executions));
    }
    std::lock_guard lock(mu_);
    ++status_.rounds;
    status_.executions_rolled_up += r->executions;
    status_.last_error.clear();
  }
  note_backlog(store_.backlog());
  return r->executions < opts.max_executions;
}

void AnalyticsRollup::run() {
  using Clock = std::chrono::steady_clock;
  // Leadership is checked (and, on PostgreSQL, kept: the check is its heartbeat) at least
  // this often, whatever the interval between rounds.
  constexpr std::chrono::milliseconds kLeadCheck{1000};
  auto next_round = Clock::now();
  while (true) {
    auto lead = store_.lead_rollup();
    const bool leading = lead.ok() && *lead;
    {
      std::lock_guard lock(mu_);
      if (status_.leader != leading) spdlog::info("analytics rollup: {} the leader", leading ? "now" : "no longer");
      status_.leader = leading;
      if (!lead.ok()) status_.last_error = lead.status().message();
    }
    bool more = false;
    if (leading && Clock::now() >= next_round) {
      more = !round();
      if (!more) next_round = Clock::now() + options_.interval;
    }
    std::unique_lock lock(mu_);
    if (stopping_) return;
    if (!more) cv_.wait_until(lock, std::min(next_round, Clock::now() + kLeadCheck), [&] { return stopping_; });
    if (stopping_) return;
  }
}

StatusOr<RollupRound> AnalyticsRollup::drain() {
  RollupRound total;
  RollupOptions opts;
  opts.max_executions = options_.max_executions_per_round;
  while (true) {
    auto r = store_.roll_up(opts);
    if (!r.ok()) return r.status();
    if (r->journal_rows == 0) break;
    if (options_.on_round) options_.on_round(*r);
    total.journal_rows += r->journal_rows;
    total.executions += r->executions;
    total.cells += r->cells;
  }
  note_backlog(store_.backlog());
  return total;
}

}  // namespace agentlearn
