// ModelSet: the five trained together on executions, one recommendation's estimates for
// every candidate, and a serialized set that estimates identically.
#include "ml/model_set.hpp"

#include <gtest/gtest.h>

#include <random>

#include "small_workload.hpp"

namespace agentlearn::ml {
namespace {

std::vector<Execution> workload(size_t tasks, uint64_t seed) { return testing::small_workload(tasks, seed); }
ModelParams small_params() { return testing::small_model_params(); }

TEST(ModelSet, TrainsTheFiveAndRanksTheRightSpecialist) {
  auto set = ModelSet::train(workload(200, 1), small_params());
  ASSERT_TRUE(set.ok()) << set.status().message();
  ASSERT_EQ((*set)->training_report().size(), 5u);
  std::vector<std::string> agents = {"ui-expert", "db-expert", "generalist", "never-seen"};
  // No task_type: the classifier supplies it from the text.
  auto fe = (*set)->estimate(TaskQuery{"fix the css of the page layout widget", "", ""}, agents);
  ASSERT_TRUE(fe.ok()) << fe.status().message();
  EXPECT_EQ(fe->category, "frontend");
  ASSERT_EQ(fe->candidates.size(), 4u);
  EXPECT_GT(fe->candidates[0].success_probability, fe->candidates[1].success_probability + 0.2);
  auto db = (*set)->estimate(TaskQuery{"repair the query join on the index table", "", R"({"area":"data"})"}, agents);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->category, "database");
  EXPECT_GT(db->candidates[1].success_probability, db->candidates[0].success_probability + 0.2);
  // Time and cost: db-expert is about 5x slower.
  EXPECT_GT(db->candidates[1].log_time, db->candidates[0].log_time + 1.0);
  EXPECT_FALSE(std::isnan(db->candidates[1].log_cost));
  for (const auto& c : db->candidates) EXPECT_TRUE(c.success_probability >= 0 && c.success_probability <= 1);
}

TEST(ModelSet, SerializedSetEstimatesIdentically) {
  auto set = ModelSet::train(workload(60, 2), small_params());
  ASSERT_TRUE(set.ok()) << set.status().message();
  std::string blob = (*set)->serialize();
  auto back = ModelSet::deserialize(blob);
  ASSERT_TRUE(back.ok()) << back.status().message();
  std::vector<std::string> agents = {"ui-expert", "db-expert"};
  TaskQuery q{"fix the button render", "frontend", "{}"};
  auto a = (*set)->estimate(q, agents);
  auto b = (*back)->estimate(q, agents);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->embedding, b->embedding);
  EXPECT_EQ(a->category, b->category);
  for (size_t i = 0; i < agents.size(); ++i) {
    EXPECT_EQ(a->candidates[i].success_probability, b->candidates[i].success_probability);
    EXPECT_EQ(a->candidates[i].log_time, b->candidates[i].log_time);
  }
  ASSERT_EQ((*back)->versions().size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ((*back)->versions()[i].version, (*set)->versions()[i].version);
  EXPECT_EQ((*back)->content_version(), (*set)->content_version());
  EXPECT_FALSE(ModelSet::deserialize(blob.substr(0, blob.size() - 1)).ok());
  EXPECT_FALSE(ModelSet::deserialize("").ok());
}

TEST(ModelSet, VersionsAreDeterministicAndFollowWhatWasLearned) {
  auto rows = workload(40, 4);
  auto a = ModelSet::train(rows, small_params());
  auto b = ModelSet::train(rows, small_params());
  ModelParams other = small_params();
  other.agent_selector.n_estimators = 7;
  auto c = ModelSet::train(rows, other);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ((*a)->content_version(), (*b)->content_version());
  EXPECT_NE((*a)->content_version(), (*c)->content_version());
  ASSERT_EQ((*a)->versions().size(), 6u);
  EXPECT_EQ((*a)->versions()[3].model, "agent_selector");
  EXPECT_NE((*a)->versions()[3].version, (*c)->versions()[3].version);  // the selector changed
  EXPECT_EQ((*a)->versions()[0].version, (*c)->versions()[0].version);  // the embedding did not
  EXPECT_EQ((*a)->versions()[3].version.rfind("agent_selector-", 0), 0u);
}

TEST(ModelSet, RefusesDataItCannotLearnFrom) { EXPECT_FALSE(ModelSet::train({}, small_params()).ok()); }

// Without texts (or task types) the text models are absent, with the reason, and the rest
// of the set still trains, saves and estimates.
TEST(ModelSet, TrainsWithoutTheTextModelsWhenThereAreNoTexts) {
  auto rows = workload(40, 3);
  for (auto& e : rows) e.task_description.reset();
  auto set = ModelSet::train(rows, small_params());
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_FALSE((*set)->has_embedding_generator());
  EXPECT_FALSE((*set)->has_task_classifier());
  EXPECT_FALSE((*set)->report_of("embedding_generator")->missing.empty());
  EXPECT_FALSE((*set)->report_of("task_classifier")->missing.empty());
  EXPECT_TRUE((*set)->embed("anything").empty());
  std::vector<std::string> agents = {"ui-expert", "db-expert"};
  auto est = (*set)->estimate(TaskQuery{"", "frontend", ""}, agents);
  ASSERT_TRUE(est.ok()) << est.status().message();
  EXPECT_GT(est->candidates[0].success_probability, est->candidates[1].success_probability);
  auto back = ModelSet::deserialize((*set)->serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_FALSE((*back)->has_task_classifier());
  EXPECT_EQ((*back)->content_version(), (*set)->content_version());
  EXPECT_EQ((*back)->report_of("task_classifier")->missing, (*set)->report_of("task_classifier")->missing);

  // One task type only: no classifier, the embedding is there.
  auto one_type = workload(40, 4);
  for (auto& e : one_type) e.task_type = "frontend";
  auto typed = ModelSet::train(one_type, small_params());
  ASSERT_TRUE(typed.ok()) << typed.status().message();
  EXPECT_TRUE((*typed)->has_embedding_generator());
  EXPECT_FALSE((*typed)->has_task_classifier());
}

// The embedding_generator is carried over until the distinct texts grow by half.
TEST(ModelSet, ReusesThePreviousEmbeddingUntilTheTextsGrowByHalf) {
  auto first = ModelSet::train(workload(100, 5), small_params());
  ASSERT_TRUE(first.ok());
  auto more = workload(140, 5);  // 40% more texts
  auto second = ModelSet::train(more, small_params(), first->get(), 1.5);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE((*second)->report_of("embedding_generator")->reused);
  EXPECT_EQ((*second)->versions()[0].version, (*first)->versions()[0].version);
  EXPECT_EQ((*second)->embed("fix the css"), (*first)->embed("fix the css"));
  auto grown = ModelSet::train(workload(160, 5), small_params(), first->get(), 1.5);  // 60% more
  ASSERT_TRUE(grown.ok());
  EXPECT_FALSE((*grown)->report_of("embedding_generator")->reused);
  EXPECT_EQ((*grown)->report_of("embedding_generator")->samples, 160u);
}

}  // namespace
}  // namespace agentlearn::ml
