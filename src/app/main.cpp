// agentlearn: one binary, subcommands for the service and its clients.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "app/cmd_backup.hpp"
#include "app/cmd_rollup.hpp"
#include "app/cmd_evaluate.hpp"
#include "app/cmd_evaluate_models.hpp"
#include "app/cmd_import.hpp"
#include "app/cmd_recommend.hpp"
#include "app/cmd_record.hpp"
#include "app/cmd_serve.hpp"
#include "app/cmd_status.hpp"
#include "app/cmd_train.hpp"

int main(int argc, char** argv) {
  // XGBoost trains with OpenMP, whose idle threads busy-wait by default: on a loaded 2-core
  // machine that makes training 15x slower and steals the I/O threads' core. libgomp reads
  // OMP_WAIT_POLICY once, when it is loaded (before main), so set it and start again. A
  // policy the user chose is kept.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: then run on, spinning
  }
  CLI::App app{"agentlearn: a learning service for multi-agent systems"};
  app.set_version_flag("--version", AGENTLEARN_VERSION);
  app.require_subcommand(1);
  agentlearn::register_serve_command(app);
  agentlearn::register_record_command(app);
  agentlearn::register_import_command(app);
  agentlearn::register_recommend_command(app);
  agentlearn::register_train_command(app);
  agentlearn::register_status_command(app);
  agentlearn::register_evaluate_command(app);
  agentlearn::register_evaluate_models_command(app);
  agentlearn::register_backup_command(app);
  agentlearn::register_rollup_command(app);
  // CLI11 reports a word that names no command as "A subcommand is required"; say which word
  // it was and what the commands are.
  if (argc > 1 && argv[1][0] != '-') {
    const std::string word = argv[1];
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known = known || sub->check_name(word);
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "agentlearn: unknown command '" << word << "'; the commands are " << names
                << " (agentlearn --help says what each does)\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A command's own exit code comes as a RuntimeError; CLI11's usage errors (unknown flag,
    // a value that does not convert, a missing argument: codes 100 and up) are bad usage, 2.
    const int code = app.exit(e);
    return code >= static_cast<int>(CLI::ExitCodes::IncorrectConstruction) ? 2 : code;
  }
  return 0;
}
