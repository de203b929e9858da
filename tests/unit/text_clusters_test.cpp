// Text clusters: spherical k-means recovers planted groups; the feature builder's
// "text_cluster" group is each agent's record on the task's cluster, out of fold for training
// rows, and the rule of that name routes by it.
#include "ml/text_clusters.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include "ml/policies/registry.hpp"
#include "ml/task_features.hpp"

namespace agentlearn::ml {
namespace {

// n unit vectors in `dims` dimensions around `groups` orthogonal directions, with noise.
std::vector<std::vector<float>> planted(int n, int groups, int dims, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.f, 0.15f);
  std::vector<std::vector<float>> out;
  for (int i = 0; i < n; ++i) {
    std::vector<float> v(static_cast<size_t>(dims));
    for (auto& x : v) x = noise(rng);
    v[static_cast<size_t>(i % groups)] += 1.f;
    double norm = 0;
    for (float x : v) norm += static_cast<double>(x) * x;
    for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
    out.push_back(std::move(v));
  }
  return out;
}

TEST(TextClusters, RecoversPlantedGroupsExactly) {
  auto v = planted(200, 4, 16, 1);
  TextClusters c = TextClusters::fit(v, 4, 7);
  ASSERT_EQ(c.count(), 4);
  EXPECT_EQ(c.dimensions(), 16);
  std::vector<int> of_group(4, -1);
  for (size_t i = 0; i < v.size(); ++i) {
    int a = c.assign(v[i]);
    ASSERT_GE(a, 0);
    if (of_group[i % 4] < 0) of_group[i % 4] = a;
    EXPECT_EQ(a, of_group[i % 4]) << "vector " << i;
  }
  EXPECT_EQ(std::set<int>(of_group.begin(), of_group.end()).size(), 4u);
}

TEST(TextClusters, DeterministicRoundTripsAndHandlesDegenerateInput) {
  auto v = planted(60, 3, 8, 2);
  TextClusters a = TextClusters::fit(v, 5, 11), b = TextClusters::fit(v, 5, 11);
  ByteWriter w("TEST", 1);
  a.write(w);
  std::string blob = std::move(w).take();
  ByteReader r(blob, "TEST", 1, 1);
  auto back = TextClusters::read(r);
  ASSERT_TRUE(back.ok()) << back.status().message();
  for (const auto& x : v) {
    EXPECT_EQ(a.assign(x), b.assign(x));
    EXPECT_EQ(a.assign(x), back->assign(x));
  }
  EXPECT_EQ(a.assign(std::vector<float>(8, 0.f)), -1);
  EXPECT_EQ(a.assign(std::vector<float>{}), -1);
  // Two distinct vectors (each repeated) make at most two clusters, whatever k asks.
  std::vector<std::vector<float>> two(10, std::vector<float>{1, 0});
  two.insert(two.end(), 10, std::vector<float>{0, 1});
  EXPECT_EQ(TextClusters::fit(two, 8, 1).count(), 2);
  EXPECT_EQ(TextClusters::fit({}, 8, 1).count(), 0);
  EXPECT_EQ(TextClusters::fit(v, 0, 1).count(), 0);
  EXPECT_EQ(TextClusters().assign(v[0]), -1);
}

// Two kinds of task text; agent "a" succeeds on the first kind, "b" on the second, and no
// task_type or context tells them apart.
struct TwoKinds {
  std::vector<Execution> rows;
  std::vector<std::vector<float>> embeddings;
};
TwoKinds two_kinds() {
  TwoKinds w;
  auto v = planted(80, 2, 8, 3);
  for (int t = 0; t < 80; ++t) {
    for (const char* agent : {"a", "b"}) {
      Execution e;
      e.agent_id = agent;
      e.task_id = "task-" + std::to_string(t);
      e.task_description = "text " + std::to_string(t);
      const bool first_kind = t % 2 == 0;
      e.success = (agent[0] == 'a') == first_kind ? (t % 10 != 0) : (t % 10 == 0);
      e.execution_time = 10;
      w.rows.push_back(e);
      w.embeddings.push_back(v[static_cast<size_t>(t)]);
    }
  }
  return w;
}

TEST(TextClusters, TheFeatureGroupIsEachAgentsOutOfFoldRecordOnTheTasksCluster) {
  TwoKinds w = two_kinds();
  auto f = FeatureBuilder::fit(w.rows, FeatureParams{.text_clusters = 2}, w.embeddings);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->text_clusters().count(), 2);
  EXPECT_TRUE(f->needs_embedding());
  const size_t g = f->agent_group_count() - 1;
  EXPECT_EQ(f->agent_group_name(g), "text_cluster");
  auto names = f->names();
  EXPECT_NE(std::find(names.begin(), names.end(), "text_cluster.success_rate"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "agent_text_cluster.success_rate"), names.end());

  // A request: the agent's record on the cluster, all training runs.
  auto row_a = f->build({"text 0", "", "{}"}, w.embeddings[0], "a");
  auto row_b = f->build({"text 0", "", "{}"}, w.embeddings[0], "b");
  EXPECT_NEAR(f->agent_group(row_a, g).runs, 40, 1e-3);
  EXPECT_GT(f->agent_group(row_a, g).success_rate, 0.7);
  EXPECT_LT(f->agent_group(row_b, g).success_rate, 0.3);

  // A training row: only the other folds' runs on its cluster.
  DenseMatrix x = f->training_rows(w.rows, w.embeddings);
  for (size_t i = 0; i < w.rows.size(); ++i) {
    const size_t fold = f->training_fold(w.rows[i].task_id);
    const int cluster = f->text_clusters().assign(w.embeddings[i]);
    double others = 0;
    for (size_t j = 0; j < w.rows.size(); ++j) {
      others += w.rows[j].agent_id == w.rows[i].agent_id && f->training_fold(w.rows[j].task_id) != fold &&
                f->text_clusters().assign(w.embeddings[j]) == cluster;
    }
    EXPECT_NEAR(f->agent_group(x.row(i), g).runs, others, 1e-3) << "row " << i;
  }

  // The rule of the same name routes each kind to its agent; the best single agent cannot.
  auto rule = make_policy("text_cluster", *f);
  ASSERT_TRUE(rule.ok()) << rule.status().message();
  for (int t : {0, 1}) {
    TaskEstimate est;
    est.features = DenseMatrix(2, f->width());
    auto prepared = f->prepare({"", "", "{}"}, w.embeddings[static_cast<size_t>(2 * t)]);  // two rows a task
    f->fill(prepared, "a", est.features.row(0));
    f->fill(prepared, "b", est.features.row(1));
    auto scores = (*rule)->estimate(est);
    EXPECT_EQ(scores[0].success_probability > scores[1].success_probability, t == 0) << "task kind " << t;
  }

  // Serialized and loaded, the builder gives the same rows.
  auto back = FeatureBuilder::deserialize(f->serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  auto again = back->build({"text 3", "", "{}"}, w.embeddings[6], "b");
  auto first = f->build({"text 3", "", "{}"}, w.embeddings[6], "b");
  ASSERT_EQ(again.size(), first.size());
  EXPECT_EQ(std::memcmp(again.data(), first.data(), first.size() * sizeof(float)), 0);  // NaN cost columns too
  // Without embeddings there are no clusters and no such group.
  auto plain = FeatureBuilder::fit(w.rows, FeatureParams{.text_clusters = 2});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->text_clusters().count(), 0);
  EXPECT_FALSE(plain->needs_embedding());
  EXPECT_EQ(plain->agent_group_count(), f->agent_group_count() - 1);
}

}  // namespace
}  // namespace agentlearn::ml
