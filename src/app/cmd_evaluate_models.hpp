#pragma once
// `agentlearn evaluate-models`: trains each of the five models on the shared data's train
// split and reports held-out quality and training time against each model's target (its
// scikit-learn / gensim reference less an allowed gap); exits 1 when a target is missed
// (CI runs it).
#include <CLI/CLI.hpp>

namespace agentlearn {

void register_evaluate_models_command(CLI::App& app);

}  // namespace agentlearn
