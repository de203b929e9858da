// GET /analytics/dashboard and GET /agents/performance through a real `agentlearn serve` on
// the shared SWE-bench executions (imported with `agentlearn import`): the known figures
// (claude-opus-4-5-20251101 resolved 372 of 500 tasks), every count against the data file
// itself, filters, the series, and bad parameters answered 400 naming the field.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.hpp"
#include "http/client.hpp"
#include "server_process.hpp"

namespace agentlearn {
namespace {

using json = nlohmann::json;
using boost::beast::http::verb;

// The whole of the data's dates (2023 to 2025 leaderboard entries).
constexpr const char* kAllTime = "since=2000-01-01T00:00:00Z&until=2030-01-01T00:00:00Z";

class DashboardTest : public testing::SwebenchCliTest {
 protected:
  void SetUp() override {
    SwebenchCliTest::SetUp();
    if (HasFatalFailure()) return;
    url_ = db("swebench.db");
    testing::CliRun imported = run({"import", "--db", url_, testing::swebench_executions().string()});
    ASSERT_EQ(imported.code, 0) << testing::describe(imported);
    server_ = std::make_unique<testing::ServerProcess>(url_);
    ASSERT_TRUE(server_->wait_ready()) << server_->log();
    client_ = std::make_unique<HttpClient>(server_->url());
    // The oracle: the data file's own counts.
    std::ifstream in(testing::swebench_executions());
    for (std::string line; std::getline(in, line);) {
      json e = json::parse(line);
      auto& a = agents_[e["agent_id"].get<std::string>()];
      ++a.first;
      a.second += e["success"].get<bool>();
      ++types_[e["task_type"].get<std::string>()];
      ++total_;
    }
  }
  json get(const std::string& target, int status = 200) {
    auto r = client_->request(verb::get, target, "", "");
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return json();
    EXPECT_EQ(r->status, status) << target << ": " << r->body;
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r->body;
    return j;
  }
  void expect_bad(const std::string& query, const std::string& field) {
    json j = get("/analytics/dashboard?" + query, 400);
    EXPECT_EQ(j["error"]["field"], field) << query << ": " << j.dump();
  }

  std::string url_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::map<std::string, std::pair<int, int>> agents_;
  std::map<std::string, int> types_;
  int total_ = 0;
};

TEST_F(DashboardTest, KnownFiguresOnSwebench) {
  json d = get(std::string("/analytics/dashboard?") + kAllTime);
  ASSERT_TRUE(d.is_object());
  EXPECT_EQ(d["percentiles"], "sketch");  // 12,000 executions: past the exact limit
  EXPECT_EQ(d["totals"]["executions"], 12000);
  EXPECT_EQ(d["totals"]["agents"], 24);
  EXPECT_EQ(d["filters"]["since"], "2000-01-01T00:00:00Z");
  EXPECT_TRUE(d["filters"]["task_type"].is_null());
  int successes = 0;
  for (auto& [id, a] : agents_) successes += a.second;
  EXPECT_EQ(d["totals"]["successes"], successes);
  // The leaderboard: best success rate first, every agent's counts as in the file.
  ASSERT_EQ(d["leaderboard"].size(), 24u);
  const json& best = d["leaderboard"][0];
  EXPECT_EQ(best["agent_id"], "claude-opus-4-5-20251101");
  EXPECT_EQ(best["executions"], 500);
  EXPECT_EQ(best["successes"], 372);
  EXPECT_DOUBLE_EQ(best["success_rate"].get<double>(), 0.744);
  double prev = 1;
  for (const json& a : d["leaderboard"]) {
    auto want = agents_.at(a["agent_id"].get<std::string>());
    EXPECT_EQ(a["executions"], want.first) << a.dump();
    EXPECT_EQ(a["successes"], want.second) << a.dump();
    EXPECT_LE(a["success_rate"].get<double>(), prev);
    prev = a["success_rate"].get<double>();
    EXPECT_LE(a["execution_time"]["p50"].get<double>(), a["execution_time"]["p95"].get<double>());
  }
  // Task types (the repositories) with their counts; the series adds up to the total.
  ASSERT_EQ(d["task_types"].size(), types_.size());
  for (const json& t : d["task_types"]) EXPECT_EQ(t["executions"], types_.at(t["task_type"].get<std::string>()));
  int in_series = 0;
  for (const json& p : d["series"]["points"]) in_series += p["executions"].get<int>();
  EXPECT_EQ(in_series, 12000);
  // The 30 years asked for are narrowed to what is stored (2025-07-20 to 2025-12-09): at most
  // 48 points, so weeks.
  EXPECT_EQ(d["series"]["bucket_seconds"], 7 * 86400);
  EXPECT_LE(d["series"]["points"].size(), 48u);
  EXPECT_TRUE(d["series"]["agent"].is_null());
  EXPECT_TRUE(d["recent_anomalies"].is_array());

  // /agents/performance answers the same counts from the same cells.
  json p = get(std::string("/agents/performance?") + kAllTime);
  EXPECT_EQ(p["percentiles"], "sketch");
  EXPECT_EQ(p["total_executions"], 12000);
  p = get("/agents/performance");  // no range: everything stored
  EXPECT_EQ(p["total_executions"], 12000);
  bool found = false;
  for (const json& a : p["agents"]) {
    if (a["agent_id"] != "claude-opus-4-5-20251101") continue;
    found = true;
    EXPECT_EQ(a["successes"], 372);
    EXPECT_DOUBLE_EQ(a["success_rate"].get<double>(), 0.744);
  }
  EXPECT_TRUE(found);
}

TEST_F(DashboardTest, FiltersAndTheAgentSeries) {
  const std::string type = "django/django";
  json d = get(std::string("/analytics/dashboard?") + kAllTime + "&task_type=django%2Fdjango" +
               "&series_agent=claude-opus-4-5-20251101&buckets=10");
  EXPECT_EQ(d["filters"]["task_type"], type);
  EXPECT_EQ(d["totals"]["executions"], types_.at(type));
  EXPECT_EQ(d["task_types"].size(), types_.size());  // the filter box lists every type in range
  ASSERT_TRUE(d["series"]["agent"].is_object());
  EXPECT_EQ(d["series"]["agent"]["agent_id"], "claude-opus-4-5-20251101");
  int agent_points = 0;
  for (const json& p : d["series"]["agent"]["points"]) agent_points += p["executions"].get<int>();
  int agent_runs = 0;
  for (const json& a : d["leaderboard"]) {
    if (a["agent_id"] == "claude-opus-4-5-20251101") agent_runs = a["executions"];
  }
  EXPECT_GT(agent_runs, 0);
  EXPECT_EQ(agent_points, agent_runs);
  // The 30 years asked for are narrowed to the stored span, 2025-07-20 to 2025-12-09, which
  // fits in 10 points only at the widest width (4 weeks): from the epoch-aligned bucket
  // holding the first run to the one holding the last.
  EXPECT_EQ(d["series"]["bucket_seconds"], 2419200);
  const int64_t w = 2419200, first = 1752969600, last = 1765238400;
  EXPECT_EQ(d["series"]["points"].size(), static_cast<size_t>(last / w - first / w + 1));
  EXPECT_EQ(d["series"]["points"][0]["start"], "2025-07-03T00:00:00Z");

  json one = get(std::string("/analytics/dashboard?") + kAllTime + "&agent_id=claude-opus-4-5-20251101");
  EXPECT_EQ(one["totals"]["executions"], 500);
  EXPECT_EQ(one["totals"]["agents"], 1);
  EXPECT_DOUBLE_EQ(one["totals"]["success_rate"].get<double>(), 0.744);

  // The default range is the 7 days ending now: the data is older, so nothing is in it.
  json recent = get("/analytics/dashboard");
  EXPECT_EQ(recent["totals"]["executions"], 0);
  EXPECT_TRUE(recent["totals"]["success_rate"].is_null());
  EXPECT_EQ(recent["percentiles"], "exact");
}

TEST_F(DashboardTest, AHostileRangeHoldsNoMoreThanAllTime) {
  // Year 1 to year 9999 (a 90-byte request) once answered 14.5 MB; with the agent series 29 MB.
  auto bytes = [&](const std::string& query) {
    auto r = client_->request(verb::get, "/analytics/dashboard?" + query, "", "");
    EXPECT_TRUE(r.ok() && r->status == 200);
    return r.ok() ? r->body : std::string();
  };
  const std::string all_time = "since=2025-07-20T00:00:00Z&until=2025-12-09T00:00:01Z";
  const std::string hostile = "since=0001-01-01T00:00:00Z&until=9999-12-31T23:59:59Z";
  for (const char* extra : {"", "&series_agent=claude-opus-4-5-20251101", "&buckets=1000"}) {
    const std::string a = bytes(all_time + extra), h = bytes(hostile + extra);
    json ja = json::parse(a), jh = json::parse(h);
    EXPECT_EQ(jh["series"]["points"], ja["series"]["points"]) << extra;
    EXPECT_EQ(jh["series"]["agent"], ja["series"]["agent"]) << extra;
    EXPECT_EQ(jh["leaderboard"], ja["leaderboard"]) << extra;
    EXPECT_LE(h.size(), a.size() + 200) << extra;  // the echoed filters differ by a few bytes
    EXPECT_LE(jh["series"]["points"].size(), std::string(extra) == "&buckets=1000" ? 1000u : 48u) << extra;
  }
}

TEST_F(DashboardTest, BadParametersNameTheField) {
  expect_bad("since=yesterday", "since");
  expect_bad("until=2026-13-01T00:00:00Z", "until");
  expect_bad("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "since");
  expect_bad("task_type=", "task_type");
  expect_bad("agent_id=" + std::string(300, 'a'), "agent_id");
  expect_bad("series_agent=", "series_agent");
  for (const char* b : {"0", "-1", "abc", "1001", "12x", "99999999999999999999"}) expect_bad(std::string("buckets=") + b, "buckets");
  // The server goes on answering.
  EXPECT_EQ(get(std::string("/analytics/dashboard?") + kAllTime)["totals"]["executions"], 12000);
}

}  // namespace
}  // namespace agentlearn
