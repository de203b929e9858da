#pragma once
// `agentlearn backup FILE`: a consistent copy of the whole store (executions, model sets and
// their activation history, settings, embeddings, the recommendation log) while the server
// keeps running. SQLite through its online backup API, PostgreSQL through pg_dump.
#include <CLI/CLI.hpp>

namespace agentlearn {

void register_backup_command(CLI::App& app);

}  // namespace agentlearn
