// Trainer: a run reads the store's executions, trains on the tasks outside the held-out
// split, stores the set with its figures, and activates it under the promotion rule; every
// failure (too little data, the store failing at any step) is a failed run that changes
// nothing. One run at a time.
#include "service/trainer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_stores.hpp"
#include "metrics/registry.hpp"
#include "ml/model_set_evaluation.hpp"
#include "service/model_targets.hpp"
#include "small_workload.hpp"

#include <algorithm>
#include <map>
#include <numeric>

namespace agentlearn {
namespace {

using testing::FakeExecutionStore;
using testing::FakeModelStore;

LearningOptions small_options() {
  LearningOptions o;
  o.models = testing::small_model_params();
  return o;
}

class TrainerTest : public ::testing::Test {
 protected:
  void add_tasks(size_t tasks) {
    for (const Execution& e : testing::small_workload(tasks, 7)) executions_.add(e);
  }
  TrainingJob run() { return trainer_.run_now(TrainingJob{}); }

  FakeExecutionStore executions_;
  FakeModelStore sets_;
  metrics::Registry metrics_;
  ModelRegistry models_{sets_, metrics_};
  LearningOptions options_ = small_options();  // before trainer_, which copies it
  Trainer trainer_{executions_, sets_, models_, options_, metrics_};
};

TEST_F(TrainerTest, TooLittleDataIsAFailedRunThatStoresNothing) {
  add_tasks(5);  // 15 executions, fewer than min_training_executions (50)
  TrainingJob job = run();
  EXPECT_EQ(job.status, "failed");
  EXPECT_NE(job.reason.find("not enough data"), std::string::npos) << job.reason;
  EXPECT_TRUE(sets_.sets.empty());
  EXPECT_EQ(models_.active(), nullptr);
  const std::string text = metrics_.expose();
  EXPECT_NE(text.find("training_runs_total{result=\"failed\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("training_runs_total{result=\"promoted\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("training_last_success_timestamp_seconds 0\n"), std::string::npos) << "a failure is no success";
}

TEST_F(TrainerTest, TheFirstSetIsStoredPromotedAndServes) {
  add_tasks(60);
  TrainingJob job = run();
  ASSERT_EQ(job.status, "succeeded") << job.reason;
  EXPECT_TRUE(job.promoted);
  EXPECT_EQ(job.reason, "the first model set");
  ASSERT_EQ(sets_.sets.size(), 1u);
  EXPECT_EQ(sets_.sets[0].version, job.version);
  EXPECT_FALSE(sets_.sets[0].rejected);
  EXPECT_FALSE(sets_.sets[0].blob.empty());
  ASSERT_EQ(sets_.history.size(), 1u);
  ASSERT_NE(models_.active(), nullptr);
  EXPECT_EQ(models_.active()->version, job.version);
  auto summary = nlohmann::json::parse(job.summary_json);
  EXPECT_EQ(summary["snapshot_executions"], 180);
  EXPECT_EQ(summary["promotion"]["promoted"], true);
  EXPECT_TRUE(summary["promotion"]["compared_with"].is_null());
  // The held-out tasks are not trained on: the training rows are the rest.
  EXPECT_LT(summary.value("training_executions", 180), 180) << job.summary_json;
  // Counted, and the time of the success exported (the job's finish, in seconds).
  const std::string text = metrics_.expose();
  EXPECT_NE(text.find("training_runs_total{result=\"promoted\"} 1\n"), std::string::npos) << text;
  const std::string name = "\ntraining_last_success_timestamp_seconds ";
  const size_t at = text.find(name);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NEAR(std::stod(text.substr(at + name.size())), static_cast<double>(job.finished_us) / 1e6, 1e-3);
}

TEST_F(TrainerTest, TheSetIsStoredWithItsHeldOutRoutingFeatureGainsAndTargetVerdicts) {
  add_tasks(60);
  TrainingJob job = run();
  ASSERT_EQ(job.status, "succeeded") << job.reason;
  auto summary = nlohmann::json::parse(job.summary_json);
  // Computed here from the held-out rows: each task's outcome per agent.
  std::map<std::string, std::vector<double>> by_task;
  for (const auto& e : testing::small_workload(60, 7)) {
    if (ml::is_holdout_task(e.task_id, options_.holdout_fraction)) by_task[e.task_id].push_back(e.success);
  }
  double oracle = 0, random = 0;
  for (const auto& [task, outcomes] : by_task) {
    oracle += *std::max_element(outcomes.begin(), outcomes.end());
    random += std::accumulate(outcomes.begin(), outcomes.end(), 0.0) / static_cast<double>(outcomes.size());
  }
  const auto& r = summary["routing"];
  ASSERT_TRUE(r.is_object()) << job.summary_json;
  EXPECT_EQ(r["tasks"], by_task.size());
  EXPECT_NEAR(r["oracle"].get<double>(), oracle / static_cast<double>(by_task.size()), 1e-12);
  EXPECT_NEAR(r["random"].get<double>(), random / static_cast<double>(by_task.size()), 1e-12);
  for (const char* k : {"routed", "best_single", "rules"}) {
    EXPECT_LE(r[k].get<double>(), r["oracle"].get<double>()) << k;
  }
  EXPECT_TRUE(r["best_single_agent"].is_string());
  // Routed is the policy the set chose on its training tasks, and every policy is listed.
  const auto& selection = summary["policy_selection"];
  EXPECT_EQ(selection["served"], r["served_policy"]);
  EXPECT_EQ(selection["folds"], 5);
  ASSERT_EQ(selection["scores"].size(), r["policies"].size());
  for (const auto& p : r["policies"]) {
    EXPECT_LE(p["success"].get<double>(), r["oracle"].get<double>()) << p;
    if (p["policy"] == r["served_policy"]) {
      EXPECT_EQ(p["success"], r["routed"]);
    }
  }
  // Each expert wins its own kind of task: routing must beat always asking one agent.
  EXPECT_GT(r["routed"].get<double>(), r["best_single"].get<double>()) << r.dump();
  const auto& selector = summary["models"]["agent_selector"];
  ASSERT_TRUE(selector["feature_importance"].is_array());
  EXPECT_FALSE(selector["feature_importance"].empty());
  EXPECT_EQ(selector["target_metric"], "roc_auc");
  EXPECT_EQ(selector["below_target"], below_target(selector["accuracy"].get<double>(), options_.model_accuracy_target));
  EXPECT_TRUE(summary["models"]["performance_predictor"]["target_metric"].is_null());
  EXPECT_EQ(summary["models"]["performance_predictor"]["below_target"], false);
}

TEST_F(TrainerTest, TheNextSetIsComparedWithTheActiveOneAndTheRecordSaysHow) {
  add_tasks(60);
  TrainingJob first = run();
  ASSERT_EQ(first.status, "succeeded") << first.reason;
  add_tasks(20);  // new runs of the same tasks and others
  TrainingJob second = run();
  ASSERT_EQ(second.status, "succeeded") << second.reason;
  ASSERT_EQ(sets_.sets.size(), 2u);
  EXPECT_NE(second.version, first.version);
  EXPECT_NE(second.reason.find(first.version), std::string::npos) << "compared with the active set: " << second.reason;
  auto summary = nlohmann::json::parse(second.summary_json);
  EXPECT_EQ(summary["promotion"]["compared_with"], first.version);
  // Whichever way the rule went, the store, the history and the serving set agree with it.
  EXPECT_EQ(sets_.sets[1].rejected, !second.promoted);
  EXPECT_EQ(models_.active()->version, second.promoted ? second.version : first.version);
  EXPECT_EQ(sets_.history.size(), second.promoted ? 2u : 1u);
}

TEST_F(TrainerTest, AScanThatFailsPartWayFailsTheRunAndChangesNothing) {
  add_tasks(60);
  executions_.fail_after = 10;
  TrainingJob job = run();
  EXPECT_EQ(job.status, "failed");
  EXPECT_NE(job.reason.find("the store is down"), std::string::npos) << job.reason;
  EXPECT_TRUE(sets_.sets.empty());
  EXPECT_EQ(models_.active(), nullptr);
}

TEST_F(TrainerTest, ASetThatCannotBeStoredIsNotActivated) {
  add_tasks(60);
  sets_.fail_saves = 1;
  TrainingJob job = run();
  EXPECT_EQ(job.status, "failed");
  EXPECT_TRUE(sets_.history.empty());
  EXPECT_EQ(models_.active(), nullptr) << "a set that is not in the store must not serve";
}

TEST_F(TrainerTest, AVersionAnotherReplicaTookFirstIsRetriedUnderTheNextName) {
  add_tasks(60);
  sets_.conflicts = 1;
  TrainingJob job = run();
  ASSERT_EQ(job.status, "succeeded") << job.reason;
  ASSERT_EQ(sets_.sets.size(), 1u);
  EXPECT_EQ(sets_.sets[0].version.rfind("v1.2.0_", 0), 0u) << sets_.sets[0].version;
  EXPECT_EQ(models_.active()->version, job.version);
}

TEST_F(TrainerTest, OneRunAtATime) {
  auto first = trainer_.request("api");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->status, "queued");
  auto second = trainer_.request("api");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kConflict);
  EXPECT_NE(second.status().message().find(first->id), std::string::npos) << second.status().message();
  TrainingState s = trainer_.state();
  ASSERT_TRUE(s.current);
  EXPECT_EQ(s.current->id, first->id);
  EXPECT_FALSE(s.running) << "queued, not started: the loop is not running";
}

TEST(Trainer, AServerThatDoesNotTrainRefusesRuns) {
  FakeExecutionStore executions;
  FakeModelStore sets;
  metrics::Registry metrics;
  ModelRegistry models{sets, metrics};
  LearningOptions options;
  options.train = false;
  Trainer trainer{executions, sets, models, options, metrics};
  auto r = trainer.request("api");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_FALSE(trainer.state().enabled);
}

}  // namespace
}  // namespace agentlearn
