// ModelRegistry: which stored model set serves, and its history. A set becomes active only
// once its blob loaded and its activation was recorded; every failure leaves the serving set
// as it was.
#include "service/model_registry.hpp"

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "fake_stores.hpp"
#include "metrics/registry.hpp"
#include "ml/model_set.hpp"
#include "small_workload.hpp"

namespace agentlearn {
namespace {

using testing::FakeModelStore;

// One small trained set, shared by the tests (training it is most of their time).
const std::string& trained_blob() {
  static const std::string blob = [] {
    auto set = ml::ModelSet::train(testing::small_workload(40, 3), testing::small_model_params());
    EXPECT_TRUE(set.ok()) << set.status().message();
    return set.ok() ? (*set)->serialize() : std::string();
  }();
  return blob;
}

ModelSetRecord record(const std::string& version, bool rejected = false) {
  ModelSetRecord r;
  r.version = version;
  r.created_us = 1;
  r.rejected = rejected;
  r.reason = rejected ? "worse held-out log loss" : "";
  r.summary_json = R"({"models":{"agent_selector":{"accuracy":0.7,"below_target":true}}})";
  r.blob = trained_blob();
  return r;
}

class ModelRegistryTest : public ::testing::Test {
 protected:
  FakeModelStore store_;
  metrics::Registry metrics_;
  ModelRegistry models_{store_, metrics_};
};

TEST_F(ModelRegistryTest, NothingServesUntilASetIsActivated) {
  EXPECT_EQ(models_.active(), nullptr);
  auto changed = models_.sync_from_store();
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(models_.active(), nullptr);
}

TEST_F(ModelRegistryTest, ActivatingAStoredSetLoadsItAndAppendsToTheHistory) {
  store_.sets = {record("v1"), record("v2")};
  ASSERT_TRUE(models_.activate("v1", "first").ok());
  ASSERT_TRUE(models_.activate("v2", "promoted").ok());
  auto active = models_.active();
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->version, "v2");
  ASSERT_NE(active->set, nullptr);
  EXPECT_EQ(active->set->serialize(), trained_blob()) << "the serving set is the stored one";
  ASSERT_EQ(store_.history.size(), 2u);
  EXPECT_EQ(store_.history[0].version, "v1");
  EXPECT_EQ(store_.history[1].reason, "promoted");
  EXPECT_EQ(active->activated_us, store_.history[1].activated_us);
  // The active set's figures are exported.
  EXPECT_NE(metrics_.expose().find("model_accuracy{model_name=\"agent_selector\"} 0.7"), std::string::npos)
      << metrics_.expose();
}

TEST_F(ModelRegistryTest, UnknownRejectedAndUnreadableSetsAreRefusedAndNothingChanges) {
  store_.sets = {record("v1"), record("bad", true), record("broken")};
  store_.sets[2].blob = "AL-NOT-A-MODEL-SET";
  ASSERT_TRUE(models_.activate("v1", "first").ok());

  Status unknown = models_.activate("v9", "rollback");
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.field(), "version");
  Status rejected = models_.activate("bad", "rollback");
  EXPECT_EQ(rejected.code(), StatusCode::kConflict);
  EXPECT_NE(rejected.message().find("worse held-out log loss"), std::string::npos) << rejected.message();
  Status broken = models_.activate("broken", "rollback");
  EXPECT_EQ(broken.code(), StatusCode::kInternal);

  EXPECT_EQ(models_.active()->version, "v1");
  EXPECT_EQ(store_.history.size(), 1u) << "a refused activation must not be recorded";
}

TEST_F(ModelRegistryTest, AStoreThatIsDownLeavesTheServingSet) {
  store_.sets = {record("v1"), record("v2")};
  ASSERT_TRUE(models_.activate("v1", "first").ok());
  store_.down = true;
  EXPECT_EQ(models_.activate("v2", "promoted").code(), StatusCode::kUnavailable);
  EXPECT_EQ(models_.sync_from_store().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(models_.active()->version, "v1");
}

TEST_F(ModelRegistryTest, SyncLoadsWhatAnotherReplicaActivatedOnce) {
  store_.sets = {record("v1"), record("v2")};
  ASSERT_TRUE(models_.activate("v1", "first").ok());
  // Another replica activates v2: its row in the shared history.
  store_.history.push_back({.id = 2, .version = "v2", .activated_us = 123, .reason = "promoted"});
  auto changed = models_.sync_from_store();
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(models_.active()->version, "v2");
  EXPECT_EQ(models_.active()->activated_us, 123);
  auto again = models_.sync_from_store();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "the same history loads nothing again";
  // A rollback to v1 is a new entry: loaded again, though v1 was active before.
  store_.history.push_back({.id = 3, .version = "v1", .activated_us = 456, .reason = "rollback"});
  EXPECT_TRUE(*models_.sync_from_store());
  EXPECT_EQ(models_.active()->version, "v1");
}

TEST_F(ModelRegistryTest, AHistoryNamingASetThatIsNotStoredIsAnError) {
  store_.history.push_back({.id = 1, .version = "ghost", .activated_us = 1, .reason = "promoted"});
  auto changed = models_.sync_from_store();
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.status().code(), StatusCode::kInternal);
  EXPECT_EQ(models_.active(), nullptr);
}

}  // namespace
}  // namespace agentlearn

namespace agentlearn {
namespace {

ModelSetRecord record_with(const std::string& version, double selector, double classifier) {
  ModelSetRecord r = record(version);
  r.summary_json = fmt::format(
      R"({{"models":{{"agent_selector":{{"accuracy":{},"below_target":true}},"task_classifier":{{"accuracy":{}}}}}}})",
      selector, classifier);
  return r;
}

TEST_F(ModelRegistryTest, ThePreviousSetsFiguresAreExportedBesideTheActiveOnes) {
  store_.sets = {record_with("v1", 0.74, 0.55), record_with("v2", 0.75, 0.50)};
  ASSERT_TRUE(models_.activate("v1", "first").ok());
  // No set before the first: NaN, which no comparison in an alert matches.
  EXPECT_NE(metrics_.expose().find("model_accuracy_previous{model_name=\"agent_selector\"} NaN\n"), std::string::npos)
      << metrics_.expose();
  ASSERT_TRUE(models_.activate("v2", "promoted").ok());
  std::string text = metrics_.expose();
  EXPECT_NE(text.find("model_accuracy{model_name=\"task_classifier\"} 0.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("model_accuracy_previous{model_name=\"task_classifier\"} 0.55\n"), std::string::npos) << text;
  EXPECT_NE(text.find("model_accuracy_previous{model_name=\"agent_selector\"} 0.74\n"), std::string::npos) << text;

  // A restarted server (a new registry over the same store) finds the previous set in the history.
  metrics::Registry fresh_metrics;
  ModelRegistry restarted(store_, fresh_metrics);
  ASSERT_TRUE(restarted.sync_from_store().ok());
  text = fresh_metrics.expose();
  EXPECT_NE(text.find("model_accuracy_previous{model_name=\"task_classifier\"} 0.55\n"), std::string::npos) << text;

  // A rollback to v1: the previous is now v2.
  ASSERT_TRUE(models_.activate("v1", "rollback").ok());
  text = metrics_.expose();
  EXPECT_NE(text.find("model_accuracy_previous{model_name=\"task_classifier\"} 0.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("model_accuracy{model_name=\"task_classifier\"} 0.55\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace agentlearn
