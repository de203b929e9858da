// agentlearn: one binary, subcommands for the service and its clients.
#include <CLI/CLI.hpp>

#include "app/cmd_import.hpp"
#include "app/cmd_record.hpp"
#include "app/cmd_serve.hpp"

int main(int argc, char** argv) {
  CLI::App app{"agentlearn: a learning service for multi-agent systems"};
  app.set_version_flag("--version", AGENTLEARN_VERSION);
  app.require_subcommand(1);
  agentlearn::register_serve_command(app);
  agentlearn::register_record_command(app);
  agentlearn::register_import_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
