#pragma once
// `agentlearn rollup`: adds every execution the analytics journal still names to the cells
// now (docs/analytics.md), and with --downgrade takes the schema back to the release before
// the journal (docs/operations.md, "Upgrades").
#include <CLI/CLI.hpp>

namespace agentlearn {

void register_rollup_command(CLI::App& app);

}  // namespace agentlearn
