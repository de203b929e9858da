#include "app/cmd_serve.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/thread_pool.hpp>
#include <csignal>
#include <future>
#include <thread>

#include "app/config.hpp"
#include "core/time.hpp"
#include "http/api_routes.hpp"
#include "http/server.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/registry.hpp"
#include "service/demo_workload.hpp"
#include "core/hash.hpp"
#include "service/learning_service.hpp"
#include "store/group_writer.hpp"
#include "store/open_store.hpp"

namespace agentlearn {
namespace {

struct ServeFlags {
  std::string config_file;
  ConfigOverrides overrides;
  bool demo = false;
};

// PostgreSQL may still be starting (docker compose, a reboot): keep trying for a while.
StatusOr<std::unique_ptr<Store>> open_and_migrate(const std::string& url) {
  auto store = open_store(url);
  if (!store.ok()) return store.status();
  Status st;
  for (int attempt = 0; attempt < 30; ++attempt) {
    st = (*store)->migrate();
    if (st.ok() || st.code() != StatusCode::kUnavailable) break;
    spdlog::warn("store not reachable yet ({}); retrying", st.message());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (!st.ok()) return st;
  return std::move(store).value();
}

Status fill_demo(ExecutionStore& store, GroupWriter& writer) {
  auto count = store.count_executions();
  if (!count.ok()) return count.status();
  if (*count > 0) {
    spdlog::info("--demo: the store already holds {} executions; nothing generated", *count);
    return Status::Ok();
  }
  DemoWorkloadOptions options;
  options.end_us = now_us();
  auto records = generate_demo_workload(options);
  const size_t n = records.size();
  std::promise<WriteOutcome> done;
  auto future = done.get_future();
  if (Status st = writer.submit(std::move(records), [&done](WriteOutcome o) { done.set_value(std::move(o)); });
      !st.ok()) {
    return st;
  }
  WriteOutcome outcome = future.get();
  if (!outcome.status.ok()) return outcome.status;
  spdlog::info("--demo: generated {} executions of 20 agents over the last 7 days", n);
  return Status::Ok();
}

// Where the similar-task index is saved unless configured: beside a SQLite file; for
// PostgreSQL under ./data, named by a hash of the URL so two databases never share a file
// (and a file that does not match its database is rebuilt anyway).
std::string default_similarity_index_file(const std::string& database) {
  std::string_view url = database;
  if (url.starts_with("sqlite:")) {
    url.remove_prefix(7);
    if (url.starts_with("//")) url.remove_prefix(2);
    if (url == ":memory:" || url.empty()) return {};
    return std::string(url) + ".similar.hnsw";
  }
  if (url.ends_with(".db")) return std::string(url) + ".similar.hnsw";
  ContentHasher h;
  h.add(url);
  return "data/similar-" + h.hex().substr(0, 16) + ".hnsw";
}

int run_serve(const ServeFlags& flags) {
  auto config = load_config(flags.config_file, process_environment(), flags.overrides);
  if (!config.ok()) {
    spdlog::error("{}", config.status().message());
    return 2;
  }
  const Config& c = *config;
  spdlog::set_level(spdlog::level::from_str(c.log_level));

  // Signals go to a thread of ours, not to whichever thread the kernel picks.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto store = open_and_migrate(c.database);
  if (!store.ok()) {
    spdlog::error("cannot open the store {}: {}", c.database, store.status().message());
    return 1;
  }
  auto writer_conn = (*store)->executions().open_writer();
  if (!writer_conn.ok()) {
    spdlog::error("cannot open the store's writer: {}", writer_conn.status().message());
    return 1;
  }
  metrics::Registry registry;
  metrics::register_process_metrics(registry);
  GroupWriterOptions writer_options;
  writer_options.registry = &registry;
  GroupWriter writer(std::move(writer_conn).value(), writer_options);
  if (flags.demo) {
    if (Status st = fill_demo((*store)->executions(), writer); !st.ok()) {
      spdlog::error("--demo failed: {}", st.message());
      return 1;
    }
  }
  ServiceOptions service_options;
  service_options.learning = c.learning;
  service_options.learning.models = c.models;
  service_options.metrics_max_agents = c.metrics_max_agents;
  service_options.rollup.interval = std::chrono::milliseconds(c.rollup_interval_ms);
  service_options.rollup.max_lag_seconds = c.rollup_max_lag_seconds;
  service_options.analytics.max_cell_cache_bytes = static_cast<size_t>(c.analytics_cache_mb) << 20;
  if (!service_options.learning.similarity.index_file_set) {
    service_options.learning.similarity.index_file = default_similarity_index_file(c.database);
  }
  LearningService service(**store, writer, registry, service_options);
  boost::asio::thread_pool blocking(2);
  boost::asio::thread_pool compute(std::max(1u, std::thread::hardware_concurrency()));

  http::ServerOptions options;
  options.host = c.host;
  options.port = c.port;
  options.threads = c.threads;
  options.body_limit = c.max_body_bytes;
  for (const auto& t : c.auth_tokens) {
    if (Status st = options.tokens.add(t); !st.ok()) {
      spdlog::error("{}", st.message());
      return 2;
    }
  }
  options.public_metrics = c.public_metrics;
  options.cors_origins = c.cors_origins;
  options.allowed_hosts = c.allowed_hosts;
  options.idle_timeout = std::chrono::seconds(c.idle_timeout_seconds);
  options.access_log = c.access_log;
  http::ApiLimits limits{.batch_body_limit = c.max_batch_body_bytes, .max_batch_records = c.max_batch_records};
  http::Server server(std::move(options), http::build_api_router({service, registry, blocking, compute, limits}), registry);
  if (Status st = server.start(); !st.ok()) {
    spdlog::error("{}", st.message());
    return 1;
  }
  // Answers to recorded executions go out from the I/O threads, a group at a time.
  writer.set_completion_executor([&server](std::function<void()> fn) { server.post(std::move(fn)); });
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != 0) spdlog::info("signal {} received; shutting down", sig);
    server.stop();
  });
  spdlog::info("agentlearn {} serving http://{}:{} ({} store{})", AGENTLEARN_VERSION, c.host, server.port(),
               (*store)->backend(), c.auth_tokens.empty() ? ", no auth tokens: loopback only" : ", token auth on");
  server.run();
  writer.set_completion_executor(nullptr);  // the event loop has stopped
  // run() also returns when stop() came from elsewhere: wake the signal thread to end it.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  blocking.join();
  compute.join();
  writer.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

void register_serve_command(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand("serve", "Run the HTTP service");
  cmd->add_option("--config", flags->config_file, "YAML config file (see deploy/learning.yaml)");
  cmd->add_option("--db", flags->overrides.database,
                  "Store: sqlite:PATH or postgresql://... (default sqlite:./data/agentlearn.db)");
  cmd->add_option("--host", flags->overrides.host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", flags->overrides.port, "Port to listen on (default 8080; 0 picks a free one)");
  cmd->add_option("--threads", flags->overrides.threads, "HTTP I/O threads (default: one fewer than the cores, at least 1)");
  cmd->add_option("--auth-token", flags->overrides.auth_tokens,
                  "API token as TOKEN:ROLE, ROLE one of ingest, read, admin (repeatable)");
  cmd->add_flag("--insecure", flags->overrides.insecure, "Allow a non-loopback --host without API tokens");
  cmd->add_flag("--public-metrics", flags->overrides.public_metrics, "Serve /metrics without a token");
  cmd->add_option("--cors-origin", flags->overrides.cors_origins, "Allowed CORS origin, or * (repeatable)");
  cmd->add_option("--allowed-host", flags->overrides.allowed_hosts,
                  "A Host name served besides localhost and IP addresses, or * (repeatable; docs/api.md, Security)");
  cmd->add_flag("--access-log", flags->overrides.access_log, "Log one line per request");
  cmd->add_option("--log-level", flags->overrides.log_level, "trace, debug, info, warn, error or off");
  cmd->add_flag("--demo", flags->demo, "Fill an empty store with a generated workload of 20 agents");
  cmd->callback([flags] { throw CLI::RuntimeError(run_serve(*flags)); });
}

}  // namespace agentlearn
