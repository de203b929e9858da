#pragma once
// `agentlearn status`: the model sets and the training state. Asks a server
// (GET /models/status) or reads a store in this process (--db, --config), and prints a
// readable report or (--json) the server's JSON object.
#include <CLI/CLI.hpp>

namespace agentlearn {

void register_status_command(CLI::App& app);

}  // namespace agentlearn
