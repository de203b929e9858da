// One definition of "below target" for /models/status, the model_below_target metric and
// evaluate-models: a measured figure under model_accuracy_target; nothing measured is not
// below; the performance_predictor has no figure held to it.
#include "service/model_targets.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace agentlearn {
namespace {

TEST(ModelTargets, AFigureUnderTheTargetIsBelowAndNothingMeasuredIsNot) {
  EXPECT_TRUE(below_target(0.68, 0.85));
  EXPECT_FALSE(below_target(0.85, 0.85));
  EXPECT_FALSE(below_target(0.9, 0.85));
  EXPECT_FALSE(below_target(NAN, 0.85));
  EXPECT_FALSE(below_target(INFINITY, 0.85));
}

TEST(ModelTargets, EachModelIsHeldToItsOwnFigure) {
  ml::ModelSetMetrics m{10, 2, 0.61, 0.6, 0.3, 0.5, 0.68, 0.55, 0.97};
  EXPECT_EQ(target_figure("agent_selector", m), 0.61);
  EXPECT_EQ(target_figure("task_classifier", m), 0.68);
  EXPECT_EQ(target_figure("embedding_generator", m), 0.55);
  EXPECT_EQ(target_figure("anomaly_detector", m), 0.97);
  EXPECT_TRUE(std::isnan(target_figure("performance_predictor", m)));
  EXPECT_STREQ(target_metric("agent_selector"), "roc_auc");
  EXPECT_STREQ(target_metric("task_classifier"), "accuracy");
  EXPECT_STREQ(target_metric("embedding_generator"), "knn_task_type_accuracy");
  EXPECT_STREQ(target_metric("anomaly_detector"), "roc_auc");
  EXPECT_EQ(target_metric("performance_predictor"), nullptr);
  EXPECT_EQ(target_metric("nonsense"), nullptr);
}

}  // namespace
}  // namespace agentlearn
