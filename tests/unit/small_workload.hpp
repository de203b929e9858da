#pragma once
// A small learnable workload and model parameters that train it in well under a second, for
// the unit tests of the model set and of the services that train one.
#include <random>
#include <string>
#include <vector>

#include "core/execution.hpp"
#include "ml/model_params.hpp"

namespace agentlearn::testing {

// Two kinds of task (frontend and database texts); "ui-expert" succeeds on frontend work,
// "db-expert" on database work; "db-expert" is slower and dearer.
inline std::vector<Execution> small_workload(size_t tasks, uint64_t seed) {
  const char* frontend[] = {"button", "layout", "css", "render", "page", "widget", "click", "style"};
  const char* database[] = {"query", "index", "table", "join", "schema", "migration", "row", "transaction"};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Execution> rows;
  for (size_t t = 0; t < tasks; ++t) {
    bool fe = t % 2 == 0;
    std::string text = fe ? "fix the" : "repair the";
    for (int w = 0; w < 12; ++w) text += std::string(" ") + (fe ? frontend : database)[rng() % 8];
    // One token of its own (below every model's min_count) makes each task's text distinct
    // however the words fall: the embedding test counts distinct texts.
    text += " ticket" + std::to_string(t);
    for (const char* agent : {"ui-expert", "db-expert", "generalist"}) {
      Execution e;
      e.agent_id = agent;
      e.task_id = "task-" + std::to_string(t);
      e.task_description = text;
      e.task_type = fe ? "frontend" : "database";
      std::string a = agent;
      double p = a == "generalist" ? 0.5 : ((a == "ui-expert") == fe ? 0.9 : 0.15);
      e.success = u(rng) < p;
      e.execution_time = (a == "db-expert" ? 100 : 20) * (0.8 + 0.4 * u(rng));
      e.cost_usd = e.execution_time / 100;
      e.context_json = fe ? R"({"area":"web"})" : R"({"area":"data"})";
      rows.push_back(std::move(e));
    }
  }
  return rows;
}

inline ml::ModelParams small_model_params() {
  ml::ModelParams p;
  ml::set_vector_dimensions(p, 16);
  p.embedding_generator.doc2vec.epochs = 10;
  p.task_classifier.max_epochs = 30;
  p.agent_selector.n_estimators = 20;
  p.performance_predictor.n_estimators = 20;
  p.anomaly_detector.forest.n_estimators = 20;
  p.training_threads = 1;
  return p;
}

}  // namespace agentlearn::testing
