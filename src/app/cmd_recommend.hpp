#pragma once
// `agentlearn recommend TEXT`: which agent should take a task. Asks a server
// (POST /task/recommend) or answers from a store in this process (--db, --config), with the
// same LearningService, and prints the answer readably or (--json) as the server's JSON.
#include <CLI/CLI.hpp>

namespace agentlearn {

void register_recommend_command(CLI::App& app);

}  // namespace agentlearn
