// LearningService as a whole over an in-memory store: a record is acknowledged once the group
// writer committed it and the rules learn from it; a store that is down refuses writes at once
// and stores nothing; recommendations come from the rules until a model set is active; bad
// settings are refused before anything is stored. (The HTTP side is api_routes_test.cpp; the
// real stores are the integration tests'.)
#include "service/learning_service.hpp"

#include <gtest/gtest.h>

#include <future>

#include "fake_stores.hpp"
#include "small_workload.hpp"
#include <sstream>
#include "metrics/registry.hpp"

namespace agentlearn {
namespace {

using testing::FakeStore;
using testing::FakeStoreWriter;

RecommendRequest task(const std::string& text, std::optional<std::string> type = std::nullopt) {
  RecommendRequest r;
  r.task_description = text;
  r.task_type = std::move(type);
  return r;
}

Execution run(const std::string& agent, const std::string& task, bool success, const std::string& type = "bugfix") {
  Execution e;
  e.agent_id = agent;
  e.task_id = task;
  e.task_type = type;
  e.success = success;
  e.execution_time = 10;
  e.timestamp_us = 1'000'000;
  e.execution_id = agent + "/" + task;
  e.content_hash = agent + task + (success ? "1" : "0");
  return e;
}

ServiceOptions unit_options() {
  ServiceOptions o;
  o.start_trainer = false;       // no background training or embedding here
  o.log_recommendations = false;
  o.learning.similarity.enabled = false;
  return o;
}

class LearningServiceTest : public ::testing::Test {
 protected:
  WriteOutcome record(std::vector<Execution> rows) {
    std::promise<WriteOutcome> p;
    auto f = p.get_future();
    service_->record(std::move(rows), [&p](WriteOutcome o) { p.set_value(std::move(o)); });
    return f.get();
  }
  void start() {
    writer_ = std::make_unique<GroupWriter>(std::make_unique<FakeStoreWriter>(store_.fake_executions()));
    service_ = std::make_unique<LearningService>(store_, *writer_, metrics_, unit_options());
  }
  void TearDown() override {
    service_.reset();
    writer_.reset();
  }

  FakeStore store_;
  metrics::Registry metrics_;
  std::unique_ptr<GroupWriter> writer_;
  std::unique_ptr<LearningService> service_;
};

TEST_F(LearningServiceTest, ARecordIsAcknowledgedOnceStoredAndAgainAsADuplicate) {
  start();
  WriteOutcome first = record({run("a", "t1", true), run("b", "t1", false)});
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  ASSERT_EQ(first.results.size(), 2u);
  EXPECT_FALSE(first.results[0].duplicate);
  EXPECT_EQ(store_.fake_executions().rows.size(), 2u) << "acknowledged means stored";
  WriteOutcome again = record({run("a", "t1", true)});
  ASSERT_TRUE(again.status.ok());
  EXPECT_TRUE(again.results[0].duplicate);
  EXPECT_EQ(again.results[0].id, first.results[0].id);
  EXPECT_EQ(store_.fake_executions().rows.size(), 2u);
  // The same execution_id with other content is a conflict, and nothing of the batch is stored.
  WriteOutcome changed = record({run("c", "t2", true), run("a", "t1", false)});
  EXPECT_EQ(changed.status.code(), StatusCode::kConflict);
  ASSERT_EQ(changed.conflicts.size(), 1u);
  EXPECT_EQ(changed.conflicts[0].index, 1u);
  EXPECT_EQ(store_.fake_executions().rows.size(), 2u);
}

TEST_F(LearningServiceTest, AStoreThatIsDownRefusesWritesAtOnceAndHealthSaysSo) {
  store_.set_down(true);
  start();
  WriteOutcome refused = record({run("a", "t1", true)});
  EXPECT_EQ(refused.status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(store_.fake_executions().rows.empty());
  HealthReport h = service_->health();
  EXPECT_FALSE(h.store_connected);
  EXPECT_STREQ(h.backend, "fake");
  EXPECT_EQ(service_->agents_performance({}).status().code(), StatusCode::kUnavailable);
}

TEST_F(LearningServiceTest, RulesRecommendTheAgentThatSucceedsUntilModelsAreActive) {
  start();
  auto none = service_->recommend(task("fix the export"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kConflict) << "no agents known yet";
  EXPECT_EQ(none.status().field(), "candidates");

  std::vector<Execution> rows;
  for (int t = 0; t < 20; ++t) {
    rows.push_back(run("steady", "t" + std::to_string(t), true));
    rows.push_back(run("flaky", "t" + std::to_string(t), t % 4 == 0));
  }
  ASSERT_TRUE(record(rows).status.ok());
  auto answer = service_->recommend(task("fix the export", "bugfix"));
  ASSERT_TRUE(answer.ok()) << answer.status().message();
  EXPECT_TRUE(answer->fallback) << "no model set is active: the rules answer";
  EXPECT_EQ(answer->primary_agent, "steady");
  ASSERT_EQ(answer->candidates.size(), 2u);
  EXPECT_GT(answer->candidates[0].success_probability, answer->candidates[1].success_probability);
  EXPECT_EQ(service_->effective_mode(), LearningMode::kRules);

  // The rules know time and cost too, so an objective applies to them: steady costs $1 a
  // run, a new agent "cheap" (as reliable, a tenth of the cost) joins; success alone keeps
  // steady (more runs), a price of 1 per USD turns to cheap.
  std::vector<Execution> priced;
  for (int t = 0; t < 20; ++t) {
    priced.push_back(run("steady", "p" + std::to_string(t), true));
    priced.back().cost_usd = 1.0;
    priced.push_back(run("cheap", "p" + std::to_string(t), true));
    priced.back().cost_usd = 0.1;
    priced.back().execution_time = 40;
  }
  ASSERT_TRUE(record(priced).status.ok());
  RecommendRequest plain = task("fix the export", "bugfix");
  plain.candidates = {"steady", "cheap"};
  auto by_success = service_->recommend(plain);
  ASSERT_TRUE(by_success.ok());
  EXPECT_EQ(by_success->primary_agent, "steady");
  RecommendRequest thrifty = plain;
  thrifty.objective.cost_weight = 1;
  auto by_cost = service_->recommend(thrifty);
  ASSERT_TRUE(by_cost.ok());
  EXPECT_TRUE(by_cost->fallback);
  EXPECT_EQ(by_cost->primary_agent, "cheap") << by_cost->reasoning;
  ASSERT_TRUE(by_cost->candidates[0].predicted_cost.has_value());
  EXPECT_LT(*by_cost->candidates[0].predicted_cost, *by_cost->candidates[1].predicted_cost);
  EXPECT_GT(*by_cost->candidates[0].predicted_execution_time, *by_cost->candidates[1].predicted_execution_time);
  EXPECT_NE(by_cost->reasoning.find("1 per predicted USD"), std::string::npos) << by_cost->reasoning;
  // The scale-free forms: half a point per the likeliest agent's (steady's) typical cost, or
  // the cheapest within 0.05 of the best estimate.
  RecommendRequest relative = plain;
  relative.objective.relative_cost_weight = 0.5;
  auto by_relative = service_->recommend(relative);
  ASSERT_TRUE(by_relative.ok());
  EXPECT_EQ(by_relative->primary_agent, "cheap") << by_relative->reasoning;
  EXPECT_NE(by_relative->reasoning.find("typical cost"), std::string::npos) << by_relative->reasoning;
  RecommendRequest close_enough = plain;
  close_enough.objective.max_quality_loss = 0.05;
  auto by_loss = service_->recommend(close_enough);
  ASSERT_TRUE(by_loss.ok());
  EXPECT_EQ(by_loss->primary_agent, "cheap") << by_loss->reasoning;
  close_enough.objective.max_quality_loss = 0;
  EXPECT_EQ(service_->recommend(close_enough)->primary_agent, "steady");
  // A time limit below cheap's 40 s turns back to steady.
  RecommendRequest hurried = thrifty;
  hurried.objective.max_time = 20;
  auto by_time = service_->recommend(hurried);
  ASSERT_TRUE(by_time.ok());
  EXPECT_EQ(by_time->primary_agent, "steady") << by_time->reasoning;

  // Analytics over the same rows.
  auto report = service_->agents_performance({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->total_executions, 80u);
  ASSERT_EQ(report->agents.size(), 3u);
  EXPECT_EQ(report->agents[0].agent_id, "cheap");  // sorted by id
  EXPECT_EQ(report->agents[1].agent_id, "flaky");
  EXPECT_EQ(report->agents[1].successes, 5u);
  EXPECT_EQ(report->agents[2].successes, 40u);
}

TEST_F(LearningServiceTest, ABadModeChangeStoresNothingAndTrainingNeedsATrainer) {
  start();
  auto bad = service_->set_mode(LearningMode::kOnline, 1.5);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "exploration_rate");
  EXPECT_EQ(store_.fake_settings().puts, 0);
  auto ok = service_->set_mode(LearningMode::kExploit, 0.1);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(service_->mode().mode, LearningMode::kExploit);
  EXPECT_EQ(store_.fake_settings().puts, 1);

  auto train = service_->train("api", {});
  ASSERT_FALSE(train.ok());
  EXPECT_EQ(train.status().code(), StatusCode::kConflict);

  auto rollback = service_->rollback("v9");
  EXPECT_EQ(rollback.code(), StatusCode::kNotFound);
}

TEST_F(LearningServiceTest, WhatTheStoreHoldsAtStartIsLearnedFrom) {
  for (int t = 0; t < 10; ++t) {
    store_.fake_executions().add(run("veteran", "old" + std::to_string(t), true));
    store_.fake_executions().add(run("novice", "old" + std::to_string(t), false));
  }
  store_.fake_settings().values["learning_mode"] = R"({"mode":"apprentice","exploration_rate":0.2})";
  start();
  auto answer = service_->recommend(task("anything", "bugfix"));
  ASSERT_TRUE(answer.ok()) << answer.status().message();
  EXPECT_EQ(answer->primary_agent, "veteran");
  EXPECT_EQ(service_->mode().mode, LearningMode::kApprentice);
}

}  // namespace
}  // namespace agentlearn

namespace agentlearn {
namespace {

// The sum of learning_predictions_total's series in the registry's exposition.
double predictions_counted(const metrics::Registry& registry) {
  double total = 0;
  std::istringstream lines(registry.expose());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("learning_predictions_total{", 0) == 0) total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

TEST_F(LearningServiceTest, APreviewAnswersTheGreedyChoiceAndLogsCountsAndExploresNothing) {
  ServiceOptions o = unit_options();
  o.log_recommendations = true;
  o.learning.models = testing::small_model_params();
  o.learning.min_training_executions = 50;
  writer_ = std::make_unique<GroupWriter>(std::make_unique<FakeStoreWriter>(store_.fake_executions()));
  service_ = std::make_unique<LearningService>(store_, *writer_, metrics_, o);
  ASSERT_TRUE(record(testing::small_workload(60, 7)).status.ok());
  TrainingJob job = service_->train_now();
  ASSERT_EQ(job.status, "succeeded") << job.reason;
  ASSERT_TRUE(job.promoted);
  // Online mode exploring every time: a real answer explores, a preview never does.
  ASSERT_TRUE(service_->set_mode(LearningMode::kOnline, 1.0).ok());
  RecommendRequest req = task("fix the button layout css render page", "frontend");
  req.preview = true;
  for (int i = 0; i < 20; ++i) {
    auto a = service_->recommend(req);
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_TRUE(a->preview);
    EXPECT_FALSE(a->explored);
    EXPECT_EQ(a->propensity, 1);
    EXPECT_TRUE(a->recommendation_id.empty());
    ASSERT_TRUE(a->model_agent);
    EXPECT_EQ(a->primary_agent, *a->model_agent);
  }
  service_->flush_recommendation_log();
  EXPECT_TRUE(store_.fake_log().logged.empty());
  EXPECT_EQ(predictions_counted(metrics_), 0);

  // The same request without preview: counted, logged, and (rate 1) drawn at random among
  // the plausible agents, so its propensity is under 1 whichever it drew.
  req.preview = false;
  auto real = service_->recommend(req);
  ASSERT_TRUE(real.ok());
  EXPECT_FALSE(real->preview);
  EXPECT_LT(real->propensity, 1);
  EXPECT_FALSE(real->recommendation_id.empty());
  service_->flush_recommendation_log();
  ASSERT_EQ(store_.fake_log().logged.size(), 1u);
  EXPECT_EQ(store_.fake_log().logged[0].recommendation_id, real->recommendation_id);
  EXPECT_EQ(predictions_counted(metrics_), 1);
}

}  // namespace
}  // namespace agentlearn
