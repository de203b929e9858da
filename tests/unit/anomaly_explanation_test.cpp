// Why a run is unusual: an injected 100x slow run in the real SWE-bench data is explained by
// its execution_time against its agent's typical steps on that repository's tasks.
#include "ml/anomaly_explanation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "app/evaluation_data.hpp"

namespace agentlearn::ml {
namespace {

// A run of the real SWE-bench data with 100x its steps: flagged, and the reason names
// execution_time against what this agent typically takes on this repository's tasks.
TEST(AnomalyDetector, ExplainsAnInjectedSlowRunInRealDataByItsExecutionTime) {
  auto rows = load_executions_jsonl(
      (std::filesystem::path(AGENTLEARN_SHARED_DATA) / "swebench-verified/executions.jsonl").string());
  ASSERT_TRUE(rows.ok()) << "the shared data is needed: " << rows.status().message();
  auto d = AnomalyDetector::train(*rows, AnomalyDetectorParams{});
  ASSERT_TRUE(d.ok()) << d.status().message();
  Execution bad = (*rows)[123];
  bad.execution_time *= 100;
  // More unusual than the run as recorded (whether it crosses the flagging threshold is the
  // detector's business, tested beside it).
  ASSERT_GT(d->score(bad), d->score((*rows)[123]));
  auto reasons = explain_anomaly(*d, bad);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons[0].feature, "execution_time");
  EXPECT_EQ(reasons[0].value, bad.execution_time);
  EXPECT_EQ(reasons[0].baseline, "agent_task_type");
  EXPECT_GT(reasons[0].ratio, 20);
  EXPECT_NEAR(reasons[0].ratio, reasons[0].value / reasons[0].typical, 1e-5 * reasons[0].ratio);  // float features
  // The typical value: the geometric mean of this agent's steps on this task type, pulled
  // toward the agent's overall by the smoothing (so between the two).
  double sum = 0, n = 0, all_sum = 0, all_n = 0;
  for (const auto& e : *rows) {
    if (e.agent_id != bad.agent_id) continue;
    all_sum += std::log(e.execution_time), all_n += 1;
    if (e.task_type == bad.task_type) sum += std::log(e.execution_time), n += 1;
  }
  const double own = std::exp(sum / n), overall = std::exp(all_sum / all_n);
  EXPECT_GE(reasons[0].typical, std::min(own, overall) * 0.98);
  EXPECT_LE(reasons[0].typical, std::max(own, overall) * 1.02);
  const std::string why = describe_anomaly(bad, reasons);
  EXPECT_EQ(why.rfind("execution_time ", 0), 0u) << why;
  EXPECT_NE(why.find("for agent " + bad.agent_id + " on " + *bad.task_type + " tasks"), std::string::npos) << why;

  // The same run as recorded: nothing stands out, and the sentence names only the furthest.
  auto usual = explain_anomaly(*d, (*rows)[123]);
  EXPECT_LT(std::abs(std::log(usual[0].ratio)), std::log(20.0));
  // An unknown agent is compared with every run's typical value.
  Execution stranger = (*rows)[123];
  stranger.agent_id = "nobody";
  EXPECT_EQ(explain_anomaly(*d, stranger)[0].baseline, "agent");
  Execution untyped = (*rows)[123];
  untyped.task_type.reset();
  EXPECT_EQ(explain_anomaly(*d, untyped)[0].baseline, "agent");
}

}  // namespace
}  // namespace agentlearn::ml
