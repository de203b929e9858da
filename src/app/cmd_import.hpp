#pragma once
// `agentlearn import FILE`: loads executions from JSONL (one JSON object per line) or CSV
// (columns name fields and context.NAME / metrics.NAME members) into a server (--url) or a
// store (--db). Streams the file, validates each record as the server would, reports the
// refused ones with their line numbers, and sends the rest in batches.
#include <CLI/CLI.hpp>

namespace agentlearn {

void register_import_command(CLI::App& app);

}  // namespace agentlearn
