#include "service/model_targets.hpp"

#include <cmath>
#include <limits>

namespace agentlearn {

const char* target_metric(std::string_view model) {
  if (model == "agent_selector" || model == "anomaly_detector") return "roc_auc";
  if (model == "task_classifier") return "accuracy";
  if (model == "embedding_generator") return "knn_task_type_accuracy";
  return nullptr;
}

double target_figure(std::string_view model, const ml::ModelSetMetrics& m) {
  if (model == "agent_selector") return m.selector_auc;
  if (model == "task_classifier") return m.classifier_accuracy;
  if (model == "embedding_generator") return m.embedding_knn_accuracy;
  if (model == "anomaly_detector") return m.anomaly_auc;
  return std::numeric_limits<double>::quiet_NaN();
}

bool below_target(double figure, double target) { return std::isfinite(figure) && figure < target; }

}  // namespace agentlearn
