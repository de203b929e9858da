#include "ml/anomaly_explanation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ml/outcome_scale.hpp"

namespace agentlearn::ml {

std::vector<AnomalyReason> explain_anomaly(const AnomalyDetector& detector, const Execution& e) {
  // features(): [0] log time, [1] log cost, [3] log time - agent's usual, [4] log cost -
  // agent's usual, [5] and [6] the same against the agent's usual on the task type (equal
  // to the agent's when that type has no runs of it).
  float f[AnomalyDetector::kFeatureCount];
  detector.features(e, f);
  const bool typed = e.task_type && f[5] != f[3];
  const char* which = typed ? "agent_task_type" : "agent";
  std::vector<AnomalyReason> out;
  const double time_dev = typed ? f[5] : f[3];
  out.push_back({"execution_time", e.execution_time, std::exp(static_cast<double>(f[0]) - time_dev),
                 std::exp(time_dev), which});
  const double cost_dev = typed ? f[6] : f[4];
  if (e.cost_usd && std::isfinite(cost_dev)) {
    out.push_back({"cost_usd", *e.cost_usd, std::exp(static_cast<double>(f[1]) - cost_dev), std::exp(cost_dev), which});
  }
  std::stable_sort(out.begin(), out.end(), [](const AnomalyReason& x, const AnomalyReason& y) {
    return std::abs(std::log(x.ratio)) > std::abs(std::log(y.ratio));
  });
  return out;
}

std::string describe_anomaly(const Execution& e, const std::vector<AnomalyReason>& reasons) {
  if (reasons.empty()) return "";
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return std::string(buf);
  };
  const std::string whose =
      "for agent " + e.agent_id + (reasons.front().baseline == "agent_task_type" ? " on " + *e.task_type + " tasks" : "");
  std::string out;
  for (const AnomalyReason& r : reasons) {
    const bool stands_out = r.ratio >= 3 || r.ratio <= 1.0 / 3;
    if (!stands_out && !out.empty()) continue;
    if (!out.empty()) out += "; ";
    const std::string times = r.ratio >= 1 ? num(r.ratio) + "x" : "1/" + num(1 / r.ratio) + " of";
    out += r.feature + " " + num(r.value) + " is " + times + " the typical " + num(r.typical);
    if (!stands_out) break;  // nothing stands out: the furthest alone
  }
  return out + " " + whose + ".";
}

}  // namespace agentlearn::ml
