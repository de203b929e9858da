#pragma once
#include <CLI/CLI.hpp>

namespace agentlearn {
// `agentlearn serve`: the HTTP service.
void register_serve_command(CLI::App& app);
}
