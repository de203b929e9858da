// GET /analytics/dashboard (analytics_routes.cpp) and the percentiles field of
// GET /agents/performance over a fake LearningApi, through the real Router and Server: the
// contract's JSON shape filled from the service's report, the default range, the query handed
// to the service, bad parameters refused (400 naming the field) before the service is asked,
// and service errors as HTTP errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "fake_learning_api.hpp"
#include "http/api_routes.hpp"
#include "route_server.hpp"

namespace agentlearn {
namespace {

using nlohmann::json;
using testing::FakeLearningApi;
using testing::json_of;

class AnalyticsRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    server.start(http::build_api_router({fake, server.registry(), server.blocking, server.compute, {}}));
  }
  void TearDown() override { server.stop(); }
  FakeLearningApi fake;
  testing::RouteServer server;
};

AgentPerformance agent(const std::string& id, uint64_t n, uint64_t ok) {
  AgentPerformance a;
  a.agent_id = id;
  a.executions = n;
  a.successes = ok;
  a.success_rate = static_cast<double>(ok) / static_cast<double>(n);
  a.time_mean = 10;
  a.time_p50 = 9;
  a.time_p95 = 20;
  a.time_p99 = 30;
  a.mean_cost_usd = 0.25;
  a.last_seen_us = 86'400'000'000;
  return a;
}

TEST_F(AnalyticsRoutes, DashboardHasTheContractsShape) {
  DashboardReport r;
  auto& d = r.figures;
  d.exact_percentiles = false;
  d.leaderboard = {agent("opus", 500, 372), agent("haiku", 4, 1)};
  d.executions = 504;
  d.successes = 373;
  d.anomalies = 2;
  d.scored = 400;
  d.cost_usd = 126;
  d.bucket_seconds = 3600;
  d.series = {{0, 3, 2, 12.5, 0.75}, {3'600'000'000, 0, 0, std::nullopt, 0}};
  d.agent_series = std::vector<SeriesPoint>{{0, 1, 1, 7.0, 0.25}};
  d.task_types = {{"django/django", 400}, {"sympy/sympy", 104}};
  StoredRow flagged;
  flagged.id = 9;
  flagged.execution.agent_id = "opus";
  flagged.execution.task_id = "t9";
  flagged.anomaly = true;
  r.figures.recent_anomalies = {flagged};
  AnomalyExplanation why;
  why.why = "execution_time 10x the agent's usual";
  r.why = {why};
  fake.dashboard_report = r;

  auto res = server.get("/analytics/dashboard?since=0&until=86400&task_type=django%2Fdjango&series_agent=opus&buckets=24");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_EQ(j["filters"]["since"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(j["filters"]["until"], "1970-01-02T00:00:00Z");
  EXPECT_EQ(j["filters"]["task_type"], "django/django");
  EXPECT_TRUE(j["filters"]["agent_id"].is_null());
  EXPECT_EQ(j["percentiles"], "sketch");
  EXPECT_EQ(j["totals"], json::parse(R"({"executions":504,"agents":2,"successes":373,
      "success_rate":0.7400793650793651,"cost_usd":126,"anomalies":2,"scored":400})"));
  ASSERT_EQ(j["leaderboard"].size(), 2u);
  EXPECT_EQ(j["leaderboard"][0]["agent_id"], "opus");
  EXPECT_EQ(j["leaderboard"][0]["execution_time"]["p95"], 20);
  EXPECT_EQ(j["leaderboard"][0]["last_seen"], "1970-01-02T00:00:00Z");
  EXPECT_EQ(j["series"]["bucket_seconds"], 3600);
  ASSERT_EQ(j["series"]["points"].size(), 2u);
  EXPECT_EQ(j["series"]["points"][0], json::parse(R"({"start":"1970-01-01T00:00:00Z","executions":3,"successes":2,
      "success_rate":0.6666666666666666,"p95_time":12.5,"cost_usd":0.75})"));
  EXPECT_TRUE(j["series"]["points"][1]["success_rate"].is_null());
  EXPECT_TRUE(j["series"]["points"][1]["p95_time"].is_null());
  EXPECT_EQ(j["series"]["agent"]["agent_id"], "opus");
  EXPECT_EQ(j["series"]["agent"]["points"][0]["executions"], 1);
  EXPECT_EQ(j["task_types"][0], json::parse(R"({"task_type":"django/django","executions":400})"));
  ASSERT_EQ(j["recent_anomalies"].size(), 1u);
  EXPECT_EQ(j["recent_anomalies"][0]["id"], 9);
  EXPECT_EQ(j["recent_anomalies"][0]["why"], "execution_time 10x the agent's usual");

  auto calls = fake.calls();
  EXPECT_EQ(calls.dashboard.filter.since_us, 0);
  EXPECT_EQ(calls.dashboard.filter.until_us, 86'400'000'000);
  EXPECT_EQ(calls.dashboard.filter.task_type, "django/django");
  EXPECT_EQ(calls.dashboard.series_agent, "opus");
  EXPECT_EQ(calls.dashboard.buckets, 24);
}

TEST_F(AnalyticsRoutes, DefaultRangeIsTheLastSevenDays) {
  const int64_t before = now_us();
  auto res = server.get("/analytics/dashboard");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_TRUE(j["series"]["agent"].is_null());
  EXPECT_TRUE(j["totals"]["success_rate"].is_null());
  auto q = fake.calls().dashboard;
  ASSERT_TRUE(q.filter.since_us && q.filter.until_us);
  EXPECT_GE(*q.filter.until_us, before);
  EXPECT_LE(*q.filter.until_us, now_us());
  EXPECT_EQ(*q.filter.until_us - *q.filter.since_us, 7LL * 86400 * 1'000'000);
  EXPECT_EQ(q.buckets, 48);
  // Only since given: until is now; only until given: since is a week before it.
  ASSERT_EQ(server.get("/analytics/dashboard?until=864000").status, 200);
  q = fake.calls().dashboard;
  EXPECT_EQ(*q.filter.since_us, 864'000'000'000 - 7LL * 86400 * 1'000'000);
}

TEST_F(AnalyticsRoutes, BadParametersAreRefusedBeforeTheServiceIsAsked) {
  const std::pair<std::string, std::string> bad[] = {
      {"since=yesterday", "since"},          {"until=2026-13-01T00:00:00Z", "until"},
      {"since=20&until=10", "since"},        {"task_type=", "task_type"},
      {"agent_id=", "agent_id"},             {"series_agent=", "series_agent"},
      {"series_agent=" + std::string(300, 'x'), "series_agent"},
      {"buckets=0", "buckets"},              {"buckets=1001", "buckets"},
      {"buckets=ten", "buckets"},            {"buckets=5x", "buckets"},
      {"buckets=-3", "buckets"},             {"buckets=99999999999999999999", "buckets"},
  };
  for (const auto& [query, field] : bad) {
    auto res = server.get("/analytics/dashboard?" + query);
    EXPECT_EQ(res.status, 400) << query << ": " << res.body;
    EXPECT_EQ(json_of(res)["error"]["field"], field) << query;
  }
  EXPECT_EQ(fake.count("dashboard"), 0u);
}

TEST_F(AnalyticsRoutes, ServiceErrorsAreHttpErrors) {
  fake.dashboard_report = Status::Unavailable("the store is unreachable");
  auto res = server.get("/analytics/dashboard");
  EXPECT_EQ(res.status, 503) << res.body;
  EXPECT_EQ(res.retry_after, "1");
}

TEST_F(AnalyticsRoutes, PerformanceSaysHowPercentilesWereComputed) {
  AgentsPerformanceReport report;
  report.agents = {agent("opus", 500, 372)};
  report.total_executions = 500;
  report.exact_percentiles = true;
  fake.agents = report;
  EXPECT_EQ(json_of(server.get("/agents/performance"))["percentiles"], "exact");
  report.exact_percentiles = false;
  fake.agents = report;
  json j = json_of(server.get("/agents/performance"));
  EXPECT_EQ(j["percentiles"], "sketch");
  EXPECT_EQ(j["agents"][0]["successes"], 372);
}

}  // namespace
}  // namespace agentlearn
