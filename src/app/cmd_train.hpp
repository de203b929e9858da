#pragma once
// `agentlearn train`: one training run. Asks a server (POST /learning/train, waiting for the
// run unless --no-wait) or trains in this process on a store (--db, --config) exactly as the
// server's trainer does: held-out split by task, the set stored, and activated under the
// promotion rule. Prints the version, whether it was promoted and why, and the held-out
// figures of each model.
#include <CLI/CLI.hpp>

namespace agentlearn {

void register_train_command(CLI::App& app);

}  // namespace agentlearn
