#include "app/client_options.hpp"

#include <cstdlib>

namespace agentlearn {

void add_client_options(CLI::App& cmd, ClientOptions& o) {
  cmd.add_option("--url", o.url, "Server to talk to (default: $AGENTLEARN_URL, else this)")
      ->envname("AGENTLEARN_URL")
      ->capture_default_str();
  cmd.add_option("--token", o.token, "API token (default: $AGENTLEARN_TOKEN)");
  cmd.add_option("--db", o.db,
                 "Work on this store directly instead of a server: sqlite:PATH or postgresql://...");
  cmd.add_option("--config", o.config_file, "YAML config file (its `database` is used with no --db)");
  cmd.add_flag("--json", o.json, "Print the result as one JSON object");
}

void resolve_client_options(ClientOptions& o) {
  if (o.token.empty()) {
    if (const char* t = std::getenv("AGENTLEARN_TOKEN")) o.token = t;
  }
}

}  // namespace agentlearn
