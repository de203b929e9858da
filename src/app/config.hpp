#pragma once
// The server's configuration: defaults, then the YAML file (--config), then the environment,
// then flags; each later source wins, except auth tokens, which all sources add to.
// deploy/learning.yaml documents every key.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "ml/model_params.hpp"
#include "service/learning_options.hpp"

namespace agentlearn {

struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string database = "sqlite:./data/agentlearn.db";
  int threads = 0;  // HTTP I/O threads; 0: one per hardware thread
  std::vector<std::string> auth_tokens;  // TOKEN:ROLE
  bool insecure = false;                 // allow a non-loopback address without tokens
  bool public_metrics = false;
  std::vector<std::string> cors_origins;
  std::vector<std::string> allowed_hosts;
  size_t max_body_bytes = 1u << 20;
  size_t max_batch_body_bytes = 16u << 20;
  size_t max_batch_records = 10000;
  int idle_timeout_seconds = 60;
  bool access_log = false;
  std::string log_level = "info";
  // Distinct agents learning_predictions_total names before counting the rest as "other".
  size_t metrics_max_agents = 100;
  // The analytics rollup (docs/analytics.md): the wait after a round that emptied the
  // journal, and the age of the oldest journal row past which /health/ready says not ready.
  int rollup_interval_ms = 1000;
  int rollup_max_lag_seconds = 300;
  // Memory for the in-process copy of the analytics cells (service/cell_cache.hpp); 0: none.
  int analytics_cache_mb = 256;
  // The models' parameters: `models.<name>.parameters.<key>`, and `vector_dimensions` (the
  // embedding width, 256), as the design's ml_config.yaml names them.
  ml::ModelParams models;
  // The learning loop: retrain_threshold, check_interval, model_accuracy_target, ...
  // (`learning.models` is filled from `models` above when the server starts).
  LearningOptions learning;
};

// Values given on the command line; unset ones leave the lower sources in force.
struct ConfigOverrides {
  std::optional<std::string> host;
  std::optional<uint16_t> port;
  std::optional<std::string> database;
  std::optional<int> threads;
  std::vector<std::string> auth_tokens;
  bool insecure = false;
  bool public_metrics = false;
  std::vector<std::string> cors_origins;
  std::vector<std::string> allowed_hosts;
  bool access_log = false;
  std::optional<std::string> log_level;
};

// Reads `path` (if not empty) and the environment `env`, applies `flags`, validates.
StatusOr<Config> load_config(const std::string& path, const std::map<std::string, std::string>& env,
                             const ConfigOverrides& flags);
// The process environment as a map (for load_config).
std::map<std::string, std::string> process_environment();

// The database URL the spec's rules pick: --db, AGENTLEARN_DB, POSTGRES_* variables, the
// config file's `database`, the SQLite default. Used by serve and by the client commands.
StatusOr<std::string> resolve_database(const std::optional<std::string>& flag, const std::string& config_path,
                                       const std::map<std::string, std::string>& env);

// True for 127.0.0.0/8 and ::1.
bool is_loopback_host(const std::string& host);

}  // namespace agentlearn
