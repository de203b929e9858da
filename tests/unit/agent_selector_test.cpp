#include "ml/agent_selector.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "ml/metrics.hpp"

namespace agentlearn::ml {
namespace {

// Feature 0: the agent's skill, feature 1: the task's difficulty; P(success) = skill - difficulty.
void make(size_t n, uint64_t seed, DenseMatrix& x, std::unique_ptr<bool[]>& y) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  x = DenseMatrix(n, 3);
  y.reset(new bool[n]);
  for (size_t i = 0; i < n; ++i) {
    float skill = u(rng), difficulty = u(rng);
    x.at(i, 0) = skill;
    x.at(i, 1) = difficulty;
    x.at(i, 2) = u(rng);
    y[i] = u(rng) < std::clamp(0.5f + skill - difficulty, 0.f, 1.f);
  }
}

TEST(AgentSelector, LearnsSuccessFromSkillAndDifficulty) {
  DenseMatrix x, xt;
  std::unique_ptr<bool[]> y, yt;
  make(3000, 1, x, y);
  make(1000, 2, xt, yt);
  AgentSelectorParams p;
  p.n_estimators = 30;
  p.max_depth = 6;
  auto s = AgentSelector::train(x, std::span<const bool>(y.get(), 3000), p);
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::vector<float> prob;
  ASSERT_TRUE(s->predict(xt, prob).ok());
  std::vector<double> scores(prob.begin(), prob.end());
  EXPECT_GT(roc_auc(scores, std::span<const bool>(yt.get(), 1000)), 0.75);
  auto back = AgentSelector::deserialize(s->serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  std::vector<float> again;
  ASSERT_TRUE(back->predict(xt, again).ok());
  EXPECT_EQ(prob, again);
  EXPECT_EQ(back->params().n_estimators, 30);
}

TEST(AgentSelector, ParametersChangeTheModelAndBadOnesAreRefused) {
  DenseMatrix x;
  std::unique_ptr<bool[]> y;
  make(500, 3, x, y);
  std::span<const bool> labels(y.get(), 500);
  AgentSelectorParams a, b;
  a.n_estimators = 10;
  b.n_estimators = 10;
  b.max_depth = 2;
  auto ma = AgentSelector::train(x, labels, a);
  auto mb = AgentSelector::train(x, labels, b);
  ASSERT_TRUE(ma.ok() && mb.ok());
  std::vector<float> pa, pb;
  ASSERT_TRUE(ma->predict(x, pa).ok() && mb->predict(x, pb).ok());
  EXPECT_NE(pa, pb);
  EXPECT_FALSE(AgentSelector::train(x, labels, AgentSelectorParams{.n_estimators = 0}).ok());
  EXPECT_FALSE(AgentSelector::train(x, labels, AgentSelectorParams{.subsample = 1.5}).ok());
  EXPECT_FALSE(AgentSelector::train(x, labels.subspan(0, 10), AgentSelectorParams{}).ok());
  EXPECT_FALSE(AgentSelector::deserialize("nope").ok());
}

}  // namespace
}  // namespace agentlearn::ml
