#pragma once
// Options every client command (record, import, recommend, train, status) shares:
// talk to a server at --url with --token, or work on a store directly with --db.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace agentlearn {

struct ClientOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string token;                // --token, else AGENTLEARN_TOKEN
  std::optional<std::string> db;    // --db: work on this store instead of a server
  std::string config_file;          // --config: read `database` from it when --db is not given
  bool json = false;                // --json: print one JSON object
};

// Adds --url, --token, --db, --config and --json to `cmd`.
void add_client_options(CLI::App& cmd, ClientOptions& options);
// Fills the token from AGENTLEARN_TOKEN when --token was not given.
void resolve_client_options(ClientOptions& options);

}  // namespace agentlearn
