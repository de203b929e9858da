#pragma once
// The online estimate of the active model set, from the recommendation log: how many
// recommendations this server logged while it served (a running total kept as rows are
// written, since it started), how many of those an execution later followed (the
// orchestrator recorded one with the recommendation_id), and the set's success rate estimated
// by inverse propensity scoring (ml::estimate_policy: IPS and self-normalised IPS) over the
// followed decisions that its ranking made (online mode, each with the propensity of its
// exploration draw, and exploit mode, propensity 1). Rules- and apprentice-mode decisions are
// left out: the rules chose them, so the set's choice had no chance of being tried there.
//
// The estimate uses every followed decision in the store (all replicas, since the set was
// first served); `logged` and `follow_rate` are this server's since it started (the log's
// rows written by it, and of them the followed ones: rows created since the start).
//
// Cost: a refresh reads the logged outcomes once; the figures are then served from memory for `max_age` (GET /models/status never rescans the log
// per request), and recomputed at once when the active set changes. They can be that much
// behind the log; `computed_us` says when they were taken.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.hpp"
#include "store/recommendation_log_store.hpp"

namespace agentlearn {

struct OnlineFigures {
  std::string model_set;
  int64_t logged = 0;     // recommendations this server logged while it served, since start
  size_t followed = 0;    // followed decisions of the set in the whole log
  size_t followed_since_start = 0;  // of them, logged since this server started
  size_t took_recommended = 0;  // followed by a run of the agent recommended
  size_t decisions = 0;   // followed decisions the set's ranking made (the estimate's sample)
  size_t matched = 0;     // of them, where the agent that ran is the set's first choice
  double follow_rate = 0;          // followed_since_start / logged (NaN when nothing was logged)
  double logged_success_rate = 0;  // what the runs that followed achieved (NaN: none)
  double ips = 0, snips = 0;       // NaN without decisions
  int64_t computed_us = 0;
};

class OnlineEstimate {
 public:
  // `started_us`: when this server started (rows created since then count as its own).
  OnlineEstimate(RecommendationLogStore& store, int64_t started_us,
                 std::chrono::milliseconds max_age = std::chrono::seconds(30));
  // The figures of `model_version` with `logged` rows written by this server, the log read
  // again when older than max_age or of another set.
  StatusOr<OnlineFigures> get(const std::string& model_version, int64_t logged);
  std::chrono::milliseconds max_age() const { return max_age_; }
  // Computes the figures now from the store (no cache).
  static StatusOr<OnlineFigures> compute(RecommendationLogStore& store, const std::string& model_version,
                                         int64_t logged, int64_t started_us);

 private:
  RecommendationLogStore& store_;
  int64_t started_us_;
  std::chrono::milliseconds max_age_;
  std::mutex mu_;  // one refresh at a time; others wait for it and share its answer
  std::optional<OnlineFigures> cached_;
  std::chrono::steady_clock::time_point cached_at_;
};

}  // namespace agentlearn
