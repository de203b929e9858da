#include "service/online_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/time.hpp"
#include "ml/off_policy.hpp"

namespace agentlearn {

OnlineEstimate::OnlineEstimate(RecommendationLogStore& store, int64_t started_us, std::chrono::milliseconds max_age)
    : store_(store), started_us_(started_us), max_age_(max_age) {}

StatusOr<OnlineFigures> OnlineEstimate::compute(RecommendationLogStore& store, const std::string& model_version,
                                                int64_t logged, int64_t started_us) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  OnlineFigures f;
  f.model_set = model_version;
  f.logged = logged;
  std::vector<ml::LoggedDecision> decisions;
  double successes = 0;
  Status st = store.scan_logged_outcomes([&](const RecommendationLogRow& log, const StoredRow& row) {
    if (log.model_version != model_version) return;
    ++f.followed;
    if (log.created_us >= started_us) ++f.followed_since_start;
    const Execution& e = row.execution;
    successes += e.success ? 1 : 0;
    if (e.agent_id == log.chosen_agent) ++f.took_recommended;
    if ((log.mode != "online" && log.mode != "exploit") || log.model_agent.empty()) return;
    // The run that followed is what was tried; the set's first choice is what it would answer.
    decisions.push_back({e.agent_id, log.model_agent, log.propensity, e.success ? 1.0 : 0.0});
  });
  if (!st.ok()) return st;
  const ml::OffPolicyEstimate est = ml::estimate_policy(decisions);
  f.decisions = est.decisions;
  f.matched = est.matched;
  f.follow_rate = f.logged > 0 ? std::min(1.0, static_cast<double>(f.followed_since_start) / static_cast<double>(f.logged)) : kNaN;
  f.logged_success_rate = f.followed > 0 ? successes / static_cast<double>(f.followed) : kNaN;
  f.ips = est.decisions > 0 ? est.ips : kNaN;
  f.snips = est.matched > 0 ? est.snips : kNaN;
  f.computed_us = now_us();
  return f;
}

StatusOr<OnlineFigures> OnlineEstimate::get(const std::string& model_version, int64_t logged) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (cached_ && cached_->model_set == model_version && now - cached_at_ < max_age_) {
    OnlineFigures f = *cached_;
    f.logged = logged;  // the running total is always current
    f.follow_rate = logged > 0 ? std::min(1.0, static_cast<double>(f.followed_since_start) / static_cast<double>(logged))
                               : std::numeric_limits<double>::quiet_NaN();
    return f;
  }
  auto fresh = compute(store_, model_version, logged, started_us_);
  if (!fresh.ok()) return fresh.status();
  cached_ = *fresh;
  cached_at_ = now;
  return *fresh;
}

}  // namespace agentlearn
