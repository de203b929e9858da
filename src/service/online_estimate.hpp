#pragma once
// The online estimate of the active model set, from the recommendation log: how many
// recommendations were logged while it served, how many an execution later followed (the
// orchestrator recorded one with the recommendation_id), and the set's success rate estimated
// by inverse propensity scoring (ml::estimate_policy: IPS and self-normalised IPS) over the
// followed decisions that its ranking made (online mode, each with the propensity of its
// exploration draw, and exploit mode, propensity 1). Rules- and apprentice-mode decisions are
// left out: the rules chose them, so the set's choice had no chance of being tried there.
//
// Cost: a refresh counts the set's logged rows and reads the logged outcomes once; the
// figures are then served from memory for `max_age` (GET /models/status never rescans the log
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
  int64_t logged = 0;     // recommendations logged while it served
  size_t followed = 0;    // of them, followed by a recorded execution
  size_t took_recommended = 0;  // followed by a run of the agent recommended
  size_t decisions = 0;   // followed decisions the set's ranking made (the estimate's sample)
  size_t matched = 0;     // of them, where the agent that ran is the set's first choice
  double follow_rate = 0;          // followed / logged (NaN when nothing was logged)
  double logged_success_rate = 0;  // what the runs that followed achieved (NaN: none)
  double ips = 0, snips = 0;       // NaN without decisions
  int64_t computed_us = 0;
};

class OnlineEstimate {
 public:
  explicit OnlineEstimate(RecommendationLogStore& store, std::chrono::milliseconds max_age = std::chrono::seconds(30));
  // The figures of `model_version`, recomputed when older than max_age or of another set.
  StatusOr<OnlineFigures> get(const std::string& model_version);
  std::chrono::milliseconds max_age() const { return max_age_; }
  // Computes the figures now from the store (no cache).
  static StatusOr<OnlineFigures> compute(RecommendationLogStore& store, const std::string& model_version);

 private:
  RecommendationLogStore& store_;
  std::chrono::milliseconds max_age_;
  std::mutex mu_;  // one refresh at a time; others wait for it and share its answer
  std::optional<OnlineFigures> cached_;
  std::chrono::steady_clock::time_point cached_at_;
};

}  // namespace agentlearn
