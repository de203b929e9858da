// The promotion rule: a new set is kept out only by a held-out loss beyond 2 paired standard
// errors of the difference, on the same tasks.
#include "ml/promotion.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace agentlearn::ml {
namespace {

TEST(Promotion, ALossInsideTheNoiseIsPromotedALossBeyondItIsNot) {
  // 100 tasks; the sets disagree on 10: the new set loses 6 of them and wins 4 (-0.02).
  std::vector<double> fresh(100, 1), active(100, 1);
  for (int i = 0; i < 6; ++i) fresh[i] = 0;
  for (int i = 6; i < 10; ++i) active[i] = 0;
  PromotionVerdict v = compare_held_out(fresh, active);
  EXPECT_EQ(v.tasks, 100u);
  EXPECT_NEAR(v.difference, -0.02, 1e-12);
  // Differences: 6 of -1, 4 of +1, 90 of 0; sample variance (10 - 100 * 0.02^2) / 99.
  EXPECT_NEAR(v.standard_error, std::sqrt((10 - 100 * 0.0004) / 99.0 / 100), 1e-12);
  EXPECT_TRUE(v.promote);  // 0.02 < 2 * 0.0317

  // The new set loses 10 and wins none: -0.10, beyond 2 standard errors (0.06).
  std::vector<double> worse(100, 1);
  for (int i = 0; i < 10; ++i) worse[i] = 0;
  PromotionVerdict w = compare_held_out(worse, std::vector<double>(100, 1));
  EXPECT_NEAR(w.difference, -0.10, 1e-12);
  EXPECT_FALSE(w.promote);
  // A gain is always promoted; so is a set with nothing to compare on.
  EXPECT_TRUE(compare_held_out(std::vector<double>(100, 1), worse).promote);
  EXPECT_TRUE(compare_held_out(std::vector<double>{}, std::vector<double>{}).promote);
}

TEST(Promotion, ALossOnEveryTaskAlikeHasNoSpreadAndIsReal) {
  std::vector<double> fresh(50, 0.4), active(50, 0.5);
  PromotionVerdict v = compare_held_out(fresh, active);
  EXPECT_NEAR(v.standard_error, 0, 1e-12);
  EXPECT_FALSE(v.promote);
  EXPECT_TRUE(compare_held_out(active, active).promote);
}

}  // namespace
}  // namespace agentlearn::ml
