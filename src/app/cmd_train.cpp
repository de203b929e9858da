#include "app/cmd_train.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "app/learning_client.hpp"
#include "core/json_text.hpp"
#include "http/learning_json.hpp"

namespace agentlearn {

namespace {

using json = nlohmann::json;

struct TrainFlags {
  ClientOptions client;
  bool no_wait = false;
  int timeout_seconds = 3600;
};

constexpr const char* kModelOrder[] = {"agent_selector", "performance_predictor", "task_classifier",
                                       "anomaly_detector", "embedding_generator"};

// "agent_selector-3f9a0c1d2e4b" is shown as "3f9a0c1d2e4b" in the model's own row.
std::string short_version(const std::string& model, const json& m) {
  std::string v = text_cell(m, "version");
  if (v.rfind(model + "-", 0) == 0) v = v.substr(model.size() + 1);
  return v;
}

// The held-out figures of each model of the set a run stored.
std::string models_table(const json& models) {
  TextTable table({"model", "version", "samples", "seconds", "held-out metrics", "below target"});
  auto add = [&](const std::string& name, const json& m) {
    std::string version = short_version(name, m);
    if (m.value("reused", false)) version += " (reused)";
    table.add({name, version, number_cell(m.value("training_samples", json())),
               number_cell(m.value("training_seconds", json()), 1), metrics_cell(m.value("metrics", json())),
               m.value("below_target", false) ? "yes" : "no"});
  };
  for (const char* name : kModelOrder) {
    if (models.contains(name)) add(name, models[name]);
  }
  for (const auto& [name, m] : models.items()) {
    if (std::find(std::begin(kModelOrder), std::end(kModelOrder), name) == std::end(kModelOrder)) add(name, m);
  }
  return table.render("  ");
}

// Prints the finished job; the exit code: 0 when a set was stored (promoted or not).
int report_job(const json& job, bool as_json, const std::string& raw) {
  const std::string status = text_cell(job, "status");
  const bool failed = status != "succeeded";
  if (as_json) {
    print_json_line(raw);
  } else if (!failed) {
    const std::string version = text_cell(job, "version");
    if (job.value("promoted", false)) {
      std::cout << fmt::format("model set {} stored and promoted: it is active now ({})\n", version,
                               text_cell(job, "reason"));
    } else {
      std::cout << fmt::format("model set {} stored but rejected: not promoted, the active set stays ({})\n", version,
                               text_cell(job, "reason"));
    }
    std::cout << fmt::format("run {} ({}), started {}, finished {}\n\n", text_cell(job, "job_id"),
                             text_cell(job, "trigger"), text_cell(job, "started_at"), text_cell(job, "finished_at"));
    const json models = job.value("models", json::object());
    if (models.is_object() && !models.empty()) std::cout << "held-out evaluation:\n" << models_table(models);
  }
  if (failed) {
    std::string version = job.value("version", json()).is_string() ? job["version"].get<std::string>() : "";
    print_error(fmt::format("training {}: {}{}", status == "failed" ? "failed" : "ended as " + status,
                            text_cell(job, "reason"),
                            version.empty() ? "" : fmt::format(" (model set {} was stored)", version)));
    return kExitFailure;
  }
  return kExitOk;
}

int run_train(TrainFlags& f) {
  Target target = resolve_target(f.client);
  if (target.exit_code != kExitOk) return target.exit_code;

  if (!target.db) {
    HttpClientOptions http_options;
    http_options.request_timeout = std::chrono::seconds(f.timeout_seconds);
    json body = {{"wait", !f.no_wait}};
    ServerReply reply =
        call_server(f.client, boost::beast::http::verb::post, "/learning/train", json_text(body), http_options);
    if (reply.exit_code != kExitOk) {
      if (reply.http_status == 0 && reply.error.find("did not answer within") != std::string::npos) {
        std::cerr << "the run goes on on the server (--timeout waits longer); `agentlearn status` shows how it "
                     "ends\n";
      }
      return reply.exit_code;
    }
    json answer = parse_answer(reply);
    if (answer.is_discarded()) return kExitFailure;
    if (f.no_wait) {
      if (f.client.json) {
        print_json_line(reply.body);
      } else {
        std::cout << fmt::format("training run {} is {} on the server; `agentlearn status` shows how it ends\n",
                                 text_cell(answer, "job_id"), text_cell(answer, "status"));
      }
      return kExitOk;
    }
    return report_job(answer, f.client.json, reply.body);
  }

  if (f.no_wait) {
    print_error("--no-wait needs a server (--url): with --db the run happens in this process");
    return kExitInvalidInput;
  }
  int code = kExitOk;
  auto direct = open_direct_learning(*target.db, f.client, code);
  if (!direct) return code;
  if (!f.client.json) std::cerr << "training on " << *target.db << " ...\n";
  json job = http::training_job_json(direct->service().train_now());
  return report_job(job, f.client.json, json_text(job));
}

}  // namespace

void register_train_command(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* cmd = app.add_subcommand("train", "Train a new model set (through a server, or on a store with --db)");
  cmd->footer(
      "Server mode (the default): asks the server at --url to train (POST /learning/train, role\n"
      "admin, --token or $AGENTLEARN_TOKEN) and waits for the run to end, or with --no-wait only\n"
      "queues it and prints its job id. Store mode (--db, or --config naming a database): trains in\n"
      "this process exactly as the server's trainer does, with the config's models.* parameters and\n"
      "learning keys: the tasks of a held-out split are set aside, the new set is evaluated on them\n"
      "against the active set, stored, and activated only if the agent_selector's held-out log\n"
      "loss is not worse (else kept as rejected, with the reason).\n"
      "--json prints the training job as the server's {\"wait\": true} answer gives it.\n"
      "Examples:\n"
      "  agentlearn train --url http://127.0.0.1:8080 --token $ADMIN_TOKEN\n"
      "  agentlearn train --db sqlite:./data/agentlearn.db --config deploy/learning.yaml\n"
      "Exit status: 0 a set was stored (promoted or rejected), 1 training failed (e.g. not enough\n"
      "data), a run is already going (HTTP 409), or the server or store failed, 2 bad usage.\n");
  add_client_options(*cmd, flags->client);
  cmd->add_flag("--no-wait", flags->no_wait, "Server mode: queue the run and print its job id, without waiting");
  cmd->add_option("--timeout", flags->timeout_seconds, "Server mode: seconds to wait for the run's answer")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->callback([flags] {
    int code = run_train(*flags);
    if (code != kExitOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace agentlearn
