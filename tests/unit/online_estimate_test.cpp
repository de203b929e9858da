// OnlineEstimate: the active set's figures from logged decisions and the runs that followed,
// against IPS and SNIPS worked out by hand; rules-mode and other sets' decisions left out;
// the log read once per max_age, again at once for another set.
#include "service/online_estimate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace agentlearn {
namespace {

class LogWithOutcomes : public RecommendationLogStore {
 public:
  Status log_recommendations(std::span<const RecommendationLogRow>) override { return Status::Ok(); }
  Status scan_logged_outcomes(const std::function<void(const RecommendationLogRow&, const StoredRow&)>& fn) override {
    ++scans;
    for (const auto& [log, row] : pairs) fn(log, row);
    return Status::Ok();
  }
  void add(const std::string& version, const std::string& mode, const std::string& model_agent,
           const std::string& ran, double propensity, bool success, int64_t created_us = 100) {
    RecommendationLogRow log;
    log.recommendation_id = "rec" + std::to_string(pairs.size());
    log.model_version = version;
    log.mode = mode;
    log.model_agent = model_agent;
    log.chosen_agent = ran;
    log.propensity = propensity;
    log.created_us = created_us;
    StoredRow row;
    row.execution.agent_id = ran;
    row.execution.success = success;
    pairs.emplace_back(log, row);
  }
  std::vector<std::pair<RecommendationLogRow, StoredRow>> pairs;
  int scans = 0;
};

TEST(OnlineEstimate, InversePropensityOverTheSetsOwnDecisions) {
  LogWithOutcomes store;
  // Online mode: the set's choice "a" answered with p 0.9 (twice: a success, a failure), an
  // exploration of "b" with p 0.05 (a success). Exploit: "a" with p 1 (a success).
  store.add("v1", "online", "a", "a", 0.9, true);
  store.add("v1", "online", "a", "a", 0.9, false);
  store.add("v1", "online", "a", "b", 0.05, true);
  store.add("v1", "exploit", "a", "a", 1.0, true);
  store.add("v1", "rules", "a", "c", 1.0, true, 50);  // the rules chose: not the set's decision
  store.add("v0", "online", "a", "a", 0.9, true);      // another set's
  auto f = OnlineEstimate::compute(store, "v1", 10, 80);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->logged, 10);
  EXPECT_EQ(f->followed, 5u);
  EXPECT_EQ(f->followed_since_start, 4u);  // the rules-mode row predates the start
  EXPECT_DOUBLE_EQ(f->follow_rate, 0.4);
  EXPECT_EQ(f->decisions, 4u);
  EXPECT_EQ(f->matched, 3u);
  EXPECT_DOUBLE_EQ(f->logged_success_rate, 4.0 / 5);
  // IPS = (1/0.9 + 0 + 1/1) / 4; SNIPS = the same sum / (1/0.9 + 1/0.9 + 1).
  EXPECT_NEAR(f->ips, (1 / 0.9 + 1.0) / 4, 1e-12);
  EXPECT_NEAR(f->snips, (1 / 0.9 + 1.0) / (2 / 0.9 + 1.0), 1e-12);
}

TEST(OnlineEstimate, NothingLoggedIsNullAndTheLogIsReadOncePerMaxAge) {
  LogWithOutcomes store;
  OnlineEstimate online(store, 0, std::chrono::hours(1));
  auto f = online.get("v1", 0);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(std::isnan(f->follow_rate));
  EXPECT_TRUE(std::isnan(f->ips));
  EXPECT_TRUE(std::isnan(f->snips));
  EXPECT_EQ(store.scans, 1);
  store.add("v1", "online", "a", "a", 0.5, true);
  auto again = online.get("v1", 3);
  EXPECT_EQ(store.scans, 1);          // served from memory
  EXPECT_EQ(again->logged, 3);        // the running total is current
  EXPECT_EQ(again->followed, 0u);     // the log is not read again within max_age
  auto other = online.get("v2", 0);   // another set: read at once
  EXPECT_EQ(store.scans, 2);
  EXPECT_EQ(other->model_set, "v2");
  OnlineEstimate fresh(store, 0, std::chrono::milliseconds(0));
  auto now = fresh.get("v1", 2);
  EXPECT_EQ(now->followed, 1u);
  EXPECT_DOUBLE_EQ(now->follow_rate, 0.5);
  EXPECT_DOUBLE_EQ(now->ips, 2.0);  // one decision, p 0.5: IPS can exceed 1 on few decisions
}

}  // namespace
}  // namespace agentlearn
