#pragma once
// What "below target" means, in one place for GET /models/status, the model_below_target
// metric and `agentlearn evaluate-models`: a model is below target when its held-out figure
// is a number under model_accuracy_target (0.85 by default). The figure is the
// agent_selector's and the anomaly_detector's ROC AUC, the task_classifier's accuracy and the
// embedding_generator's 10-NN task-type accuracy; the performance_predictor has none (its
// R^2 is no accuracy) and is never below target.
//
// evaluate-models also holds each figure to a reference bar (the scikit-learn or gensim
// figure on the same data less a small gap): that bar asks "is the implementation as good as
// the reference?", the target asks "is the model as accurate as the operator wants?". A
// classifier at 0.68 on the Debian texts meets its bar (0.665) and is still below target.
#include <string_view>

#include "ml/model_set_evaluation.hpp"

namespace agentlearn {

// The name of the figure held to the target ("roc_auc", "accuracy",
// "knn_task_type_accuracy"); nullptr for a model that has none.
const char* target_metric(std::string_view model);
// The model's figure held to the target, from a held-out evaluation (NaN: none).
double target_figure(std::string_view model, const ml::ModelSetMetrics& m);
// True when `figure` is a number under `target` (NaN is not below: nothing was measured).
bool below_target(double figure, double target);

}  // namespace agentlearn
