#include "ml/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

namespace agentlearn::ml {
namespace {

TEST(Metrics, RocAucMatchesHandComputedValuesWithTies) {
  const bool y[] = {false, false, true, true};
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{0.1, 0.4, 0.35, 0.8}, y), 0.75);  // sklearn's example
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{1, 2, 3, 4}, y), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{0.5, 0.5, 0.5, 0.5}, y), 0.5);
  const bool one_class[] = {true, true};
  EXPECT_TRUE(std::isnan(roc_auc(std::vector<double>{0.1, 0.2}, one_class)));
}

TEST(Metrics, LogLossR2AndAccuracy) {
  const bool y[] = {true, false};
  EXPECT_NEAR(log_loss(std::vector<double>{0.9, 0.2}, y), -(std::log(0.9) + std::log(0.8)) / 2, 1e-12);
  EXPECT_TRUE(std::isfinite(log_loss(std::vector<double>{0.0, 1.0}, y)));  // clipped, not infinite
  EXPECT_DOUBLE_EQ(r2_score(std::vector<double>{1, 2, 3}, std::vector<double>{1, 2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(r2_score(std::vector<double>{1, 2, 3}, std::vector<double>{2, 2, 2}), 0.0);
  EXPECT_NEAR(r2_score(std::vector<double>{3, -0.5, 2, 7}, std::vector<double>{2.5, 0.0, 2, 8}), 0.9486, 1e-4);
  std::vector<std::string> t = {"a", "b", "c", "a"}, p = {"a", "b", "a", "b"};
  EXPECT_DOUBLE_EQ(accuracy(t, p), 0.5);
}

TEST(Metrics, GroupFoldsKeepGroupsTogetherAndBalanceRows) {
  std::vector<std::string> groups;
  for (int g = 0; g < 100; ++g) {
    for (int r = 0; r <= g % 7; ++r) groups.push_back("task-" + std::to_string(g));
  }
  auto folds = group_folds(groups, 5, 42);
  std::map<std::string, std::set<int>> fold_sets;
  std::vector<int> sizes(5, 0);
  for (size_t i = 0; i < groups.size(); ++i) {
    fold_sets[groups[i]].insert(folds[i]);
    ++sizes[static_cast<size_t>(folds[i])];
  }
  for (const auto& [g, s] : fold_sets) EXPECT_EQ(s.size(), 1u) << g;
  for (int s : sizes) EXPECT_NEAR(s, static_cast<double>(groups.size()) / 5, 8);
  EXPECT_EQ(folds, group_folds(groups, 5, 42));
  EXPECT_NE(folds, group_folds(groups, 5, 7));
}

}  // namespace
}  // namespace agentlearn::ml
