// ContextStats: success by context value per agent and over all agents, on the real SWE-bench
// runs (the counts are computed here from the rows), and its bounds on hostile contexts.
#include "service/context_stats.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "app/evaluation_data.hpp"

namespace agentlearn {
namespace {

TEST(ContextStats, DifficultyCountsMatchTheSwebenchRows) {
  auto rows = load_executions_jsonl(
      (std::filesystem::path(AGENTLEARN_SHARED_DATA) / "swebench-verified/executions.jsonl").string());
  ASSERT_TRUE(rows.ok()) << "the shared data is needed: " << rows.status().message();
  ContextStats stats;
  stats.add(*rows);
  const std::string agent = (*rows)[0].agent_id;
  // Counted here: (runs, successes) by difficulty, the agent's and everyone's.
  std::map<std::string, std::pair<size_t, size_t>> mine, all;
  for (const auto& e : *rows) {
    auto c = nlohmann::json::parse(e.context_json);
    if (!c.contains("difficulty")) continue;
    auto& a = all[c["difficulty"].get<std::string>()];
    a.first += 1;
    a.second += e.success;
    if (e.agent_id == agent) {
      auto& m = mine[c["difficulty"].get<std::string>()];
      m.first += 1;
      m.second += e.success;
    }
  }
  ASSERT_GE(mine.size(), 3u);
  auto records = stats.agent(agent);
  size_t seen = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    if (i) {
      EXPECT_GE(records[i - 1].success_rate - records[i - 1].all_success_rate,
                records[i].success_rate - records[i].all_success_rate);
    }
    const ContextRecord& r = records[i];
    if (r.key != "difficulty") continue;
    ++seen;
    ASSERT_TRUE(mine.count(r.value)) << r.value;
    EXPECT_EQ(r.runs, mine[r.value].first) << r.value;
    EXPECT_EQ(r.successes, mine[r.value].second) << r.value;
    EXPECT_EQ(r.all_runs, all[r.value].first) << r.value;
    EXPECT_EQ(r.all_successes, all[r.value].second) << r.value;
    EXPECT_DOUBLE_EQ(r.success_rate, static_cast<double>(mine[r.value].second) / mine[r.value].first);
  }
  EXPECT_EQ(seen, mine.size());
  // underspecified holds whole numbers (0.0 .. 3.0): categories "0" .. "3".
  bool whole = false;
  for (const auto& r : records) whole |= r.key == "underspecified" && (r.value == "1" || r.value == "0");
  EXPECT_TRUE(whole);
  EXPECT_TRUE(stats.agent("nobody").empty());
}

TEST(ContextStats, FractionsObjectsLongValuesAndTooManyValuesAreNotCounted) {
  ContextStats stats;
  std::vector<Execution> rows;
  for (size_t i = 0; i < ContextStats::kMaxValues + 10; ++i) {
    Execution e;
    e.agent_id = "a";
    e.success = i % 2 == 0;
    e.context_json = nlohmann::json{{"ticket", "t" + std::to_string(i)},
                                    {"load", 0.5 + static_cast<double>(i)},
                                    {"nested", {{"x", 1}}},
                                    {"long", std::string(ContextStats::kMaxValueBytes + 1, 'x')},
                                    {"flag", i % 3 == 0}}
                         .dump();
    rows.push_back(e);
  }
  Execution broken;
  broken.agent_id = "a";
  broken.context_json = "{not json";
  rows.push_back(broken);
  stats.add(rows);
  size_t tickets = 0, flags = 0;
  for (const auto& r : stats.agent("a")) {
    EXPECT_TRUE(r.key == "ticket" || r.key == "flag") << r.key;
    tickets += r.key == "ticket";
    flags += r.key == "flag" ? r.runs : 0;
  }
  EXPECT_EQ(tickets, ContextStats::kMaxValues);
  EXPECT_EQ(flags, ContextStats::kMaxValues + 10);
}

}  // namespace
}  // namespace agentlearn
