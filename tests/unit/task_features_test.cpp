// FeatureBuilder: features from what a recommend request carries, never from outcomes; the
// same features for a stored training row and for the matching request; fallbacks for
// unknown agents, types and context; serialization.
#include "ml/task_features.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/execution_json.hpp"
#include "store/open_store.hpp"

namespace agentlearn::ml {
namespace {

Execution run(std::string agent, std::string type, bool success, double time, double cost,
              std::string context = R"({"difficulty":"hard","repository":"org/a","underspecified":1})") {
  Execution e;
  e.agent_id = std::move(agent);
  e.task_id = "t-" + type;
  e.task_type = std::move(type);
  e.success = success;
  e.execution_time = time;
  e.cost_usd = cost;
  e.task_description = "Fix the crash in the CSV export";
  e.context_json = std::move(context);
  return e;
}

std::vector<Execution> training_rows() {
  std::vector<Execution> rows;
  for (int i = 0; i < 40; ++i) {
    rows.push_back(run("strong", "bug", i % 10 != 0, 10 + i % 5, 0.5));
    rows.push_back(run("weak", "bug", i % 4 == 0, 30 + i % 7, 0.1,
                       i % 2 ? R"({"difficulty":"easy","repository":"org/b","underspecified":0})"
                             : R"({"difficulty":"hard","repository":"org/a","underspecified":2})"));
    rows.push_back(run("weak", "docs", i % 3 != 0, 5, 0.05));
  }
  return rows;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(FeatureBuilder, StoredTrainingRowAndMatchingRecommendRequestGiveIdenticalFeatures) {
  auto builder = FeatureBuilder::fit(training_rows(), FeatureParams{.text_dimensions = 4});
  ASSERT_TRUE(builder.ok()) << builder.status().message();

  // The training row as the service holds it: recorded through the API's parser, stored,
  // and read back from the store.
  auto parsed = parse_execution(
      R"({"agent_id":"strong","task_id":"t-9","execution_time":12.5,"success":false,"task_type":"bug",
          "task_description":"Fix the crash in the CSV export when a field is empty",
          "context":{"repository":"org/a","difficulty":"hard","underspecified":1},
          "metrics":{"cost_usd":0.42,"tokens_in":900}})",
      1'700'000'000'000'000);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  auto store = open_store("sqlite::memory:");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->migrate().ok());
  auto writer = (*store)->executions().open_writer();
  ASSERT_TRUE(writer.ok());
  std::vector<const Execution*> ptrs{&*parsed};
  std::vector<int64_t> ids;
  ASSERT_TRUE((*writer)->begin().ok());
  ASSERT_TRUE((*writer)->insert(ptrs, 1, ids).ok());
  ASSERT_TRUE((*writer)->commit().ok());
  std::vector<Execution> stored;
  ASSERT_TRUE((*store)->executions().scan_executions(0, 0, [&](const StoredRow& r) { stored.push_back(r.execution); }).ok());
  ASSERT_EQ(stored.size(), 1u);

  // The matching recommend request: the same task and candidate, no outcomes, context
  // members in another order and spacing.
  const std::string request_context = R"({ "underspecified": 1, "difficulty": "hard", "repository": "org/a" })";
  TaskQuery request{"Fix the crash in the CSV export when a field is empty", "bug", request_context};
  const std::vector<float> embedding = {0.25f, -0.5f, 0.125f, 1.f};

  auto from_row = builder->build(task_query_of(stored[0]), embedding, stored[0].agent_id);
  auto from_request = builder->build(request, embedding, "strong");
  ASSERT_EQ(from_row.size(), builder->width());
  EXPECT_TRUE(same_bits(from_row, from_request));
}

TEST(FeatureBuilder, OutcomesOfTheRowAreNeverFeatures) {
  auto builder = FeatureBuilder::fit(training_rows(), FeatureParams{.text_dimensions = 0});
  ASSERT_TRUE(builder.ok());
  Execution a = run("weak", "bug", true, 3, 0.01);
  Execution b = a;
  b.success = false;
  b.execution_time = 9000;
  b.cost_usd = 40;
  b.metrics_json = R"({"cost_usd":40,"tokens_out":123456})";
  EXPECT_TRUE(same_bits(builder->build(task_query_of(a), {}, a.agent_id), builder->build(task_query_of(b), {}, b.agent_id)));
}

TEST(FeatureBuilder, AgentsWithBetterRecordsGetHigherSuccessFeatures) {
  auto builder = FeatureBuilder::fit(training_rows(), FeatureParams{.text_dimensions = 0});
  ASSERT_TRUE(builder.ok());
  auto names = builder->names();
  ASSERT_EQ(names.size(), builder->width());
  auto col = [&](std::string_view name) {
    auto it = std::find(names.begin(), names.end(), name);
    EXPECT_NE(it, names.end()) << name;
    return static_cast<size_t>(it - names.begin());
  };
  TaskQuery q{"Fix it", "bug", R"({"difficulty":"hard","repository":"org/a","underspecified":1})"};
  auto strong = builder->build(q, {}, "strong");
  auto weak = builder->build(q, {}, "weak");
  EXPECT_GT(strong[col("agent_type.success_rate")], weak[col("agent_type.success_rate")]);
  EXPECT_GT(strong[col("agent.success_rate")], weak[col("agent.success_rate")]);
  EXPECT_EQ(strong[col("context.underspecified")], 1.f);  // numeric member as is
  EXPECT_GT(builder->agent_success_rate("strong", "bug"), builder->agent_success_rate("weak", "bug"));
}

TEST(FeatureBuilder, SelectorSeesTaskColumnsAndOnlyTheSuccessRatesOfAgentGroups) {
  auto builder = FeatureBuilder::fit(training_rows(), FeatureParams{.text_dimensions = 2});
  ASSERT_TRUE(builder.ok());
  const auto names = builder->names();
  std::vector<size_t> expected;
  for (size_t j = 0; j < names.size(); ++j) {
    const bool agent_group = names[j].starts_with("agent.") || names[j].starts_with("agent_");
    if (!agent_group || names[j].ends_with(".success_rate")) expected.push_back(j);
  }
  EXPECT_EQ(builder->selector_columns(), expected);
  // Task columns, text included, plus agent, agent_type and agent x repository/difficulty rates.
  EXPECT_TRUE(std::find(names.begin(), names.end(), "agent.mean_log_cost") != names.end());
  size_t agent_rates = 0;
  for (size_t j : builder->selector_columns()) agent_rates += names[j].starts_with("agent") ? 1 : 0;
  EXPECT_EQ(agent_rates, 4u);
}

TEST(FeatureBuilder, UnknownAgentTypeAndContextFallBackToPriorsWithoutNaNRates) {
  auto builder = FeatureBuilder::fit(training_rows(), FeatureParams{.text_dimensions = 3});
  ASSERT_TRUE(builder.ok());
  auto names = builder->names();
  for (TaskQuery q : {TaskQuery{"", "", ""}, TaskQuery{"x", "never-seen", "{}"}, TaskQuery{"x", "bug", "not json"},
                      TaskQuery{"x", "bug", R"({"difficulty":["a"],"repository":null})"}}) {
    auto row = builder->build(q, {}, "brand-new-agent");
    ASSERT_EQ(row.size(), builder->width());
    for (size_t i = 0; i < row.size(); ++i) {
      if (names[i].ends_with("success_rate")) {
        EXPECT_TRUE(row[i] > 0 && row[i] < 1) << names[i];
      }
    }
  }
  // An unknown agent's rate is the global rate; its type rate falls back to that too.
  const double global = builder->agent_success_rate("brand-new-agent", "");
  EXPECT_DOUBLE_EQ(builder->agent_success_rate("brand-new-agent", "bug"), global);
}

TEST(FeatureBuilder, SerializesToIdenticalFeaturesAndRefusesBadBlobs) {
  auto builder = FeatureBuilder::fit(training_rows(), FeatureParams{.smoothing = 3, .text_dimensions = 2});
  ASSERT_TRUE(builder.ok());
  std::string blob = builder->serialize();
  EXPECT_EQ(blob, builder->serialize());  // stable bytes
  auto back = FeatureBuilder::deserialize(blob);
  ASSERT_TRUE(back.ok()) << back.status().message();
  TaskQuery q{"Fix it", "bug", R"({"difficulty":"easy","repository":"org/b"})"};
  std::vector<float> emb = {0.5f, 0.25f};
  EXPECT_TRUE(same_bits(builder->build(q, emb, "weak"), back->build(q, emb, "weak")));
  EXPECT_EQ(back->names(), builder->names());
  EXPECT_EQ(back->selector_columns(), builder->selector_columns());
  EXPECT_FALSE(FeatureBuilder::deserialize(blob.substr(0, blob.size() - 5)).ok());
  EXPECT_FALSE(FeatureBuilder::deserialize("garbage").ok());
}

TEST(FeatureBuilder, ParametersChangeTheFeaturesAndBadParametersAreRefused) {
  auto a = FeatureBuilder::fit(training_rows(), FeatureParams{.smoothing = 1, .text_dimensions = 0});
  auto b = FeatureBuilder::fit(training_rows(), FeatureParams{.smoothing = 50, .text_dimensions = 0});
  ASSERT_TRUE(a.ok() && b.ok());
  TaskQuery q{"Fix it", "docs", "{}"};
  EXPECT_FALSE(same_bits(a->build(q, {}, "weak"), b->build(q, {}, "weak")));
  EXPECT_FALSE(FeatureBuilder::fit({}, FeatureParams{}).ok());
  EXPECT_FALSE(FeatureBuilder::fit(training_rows(), FeatureParams{.smoothing = -1}).ok());
  EXPECT_FALSE(FeatureBuilder::fit(training_rows(), FeatureParams{.max_context_keys = 1000}).ok());
}

}  // namespace
}  // namespace agentlearn::ml

namespace agentlearn::ml {
namespace {

// What a model trains on for a row is what a request for that task would have seen before
// the task ran: the statistics of the tasks in the other folds, none of this one's outcomes.
TEST(FeatureBuilder, TrainingRowsLeaveTheirOwnFoldOut) {
  std::vector<Execution> rows = training_rows();
  for (size_t i = 0; i < rows.size(); ++i) rows[i].task_id = "task-" + std::to_string(i / 3);
  auto all = FeatureBuilder::fit(rows, FeatureParams{});
  ASSERT_TRUE(all.ok());
  DenseMatrix x = all->training_rows(rows, {});
  for (size_t probe : {size_t{0}, size_t{4}, size_t{8}, size_t{59}}) {
    std::vector<Execution> others;
    for (const auto& e : rows) {
      if (all->training_fold(e.task_id) != all->training_fold(rows[probe].task_id)) others.push_back(e);
    }
    // The schema (context keys) must be the same for the comparison to mean anything.
    auto without = FeatureBuilder::fit(others, FeatureParams{});
    ASSERT_TRUE(without.ok());
    ASSERT_EQ(without->width(), all->width());
    auto request = without->build(task_query_of(rows[probe]), {}, rows[probe].agent_id);
    auto trained = x.row(probe);
    ASSERT_EQ(request.size(), trained.size());
    for (size_t j = 0; j < request.size(); ++j) {
      if (std::isnan(request[j])) {
        EXPECT_TRUE(std::isnan(trained[j])) << "row " << probe << " feature " << all->names()[j];
      } else {
        EXPECT_NEAR(request[j], trained[j], 1e-5) << "row " << probe << " feature " << all->names()[j];
      }
    }
  }
}

}  // namespace
}  // namespace agentlearn::ml
