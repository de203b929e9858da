#include "app/cmd_status.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "app/learning_client.hpp"
#include "http/learning_json.hpp"

namespace agentlearn {

namespace {

using json = nlohmann::json;

constexpr size_t kSetsShown = 10;

struct StatusFlags {
  ClientOptions client;
};

// "job train-1-2 (api) succeeded at T: model set V promoted (why)".
std::string describe_job(const json& job) {
  std::string out = fmt::format("job {} ({}) {}", text_cell(job, "job_id"), text_cell(job, "trigger"),
                                text_cell(job, "status"));
  const std::string status = text_cell(job, "status");
  if (status == "queued" || status == "running") {
    return out + fmt::format(" since {}", text_cell(job, status == "queued" ? "queued_at" : "started_at"));
  }
  out += fmt::format(" at {}", text_cell(job, "finished_at"));
  if (job.value("version", json()).is_string()) {
    out += fmt::format(": model set {} {}", job["version"].get<std::string>(),
                       job.value("promoted", false) ? "promoted" : "rejected");
  }
  return out + fmt::format(" ({})", text_cell(job, "reason"));
}

void print_status(const json& s, bool store_mode) {
  const json active = s.value("active_model_set", json());
  if (active.is_string()) {
    std::cout << fmt::format("active model set: {} (activated {})\n", active.get<std::string>(),
                             text_cell(s, "activated_at"));
  } else {
    std::cout << "active model set: none (recommendations come from the rules until a set is trained)\n";
  }
  std::cout << fmt::format("model accuracy target: {}\n\n", number_cell(s.value("model_accuracy_target", json()), 2));

  TextTable models({"model", "active version", "trained at", "samples", "held-out metrics", "below target"});
  for (const json& m : s.value("models", json::array())) {
    const std::string name = text_cell(m, "name");
    std::string version = text_cell(m, "active_version");
    if (version.rfind(name + "-", 0) == 0) version = version.substr(name.size() + 1);
    const bool has = m.value("active_version", json()).is_string();
    models.add({name, version, has ? text_cell(m, "trained_at") : "-",
                has ? number_cell(m.value("training_samples", json())) : "-",
                has ? metrics_cell(m.value("metrics", json())) : "-",
                has ? (m.value("below_target", false) ? "yes" : "no") : "-"});
  }
  std::cout << "models:\n" << models.render("  ");

  const json sets = s.value("model_sets", json::array());
  std::cout << "\nmodel sets (newest first):\n";
  if (sets.empty()) {
    std::cout << "  none yet\n";
  } else {
    TextTable table({"version", "created at", "status", "training rows", "held-out rows", "reason"});
    for (size_t i = 0; i < sets.size() && i < kSetsShown; ++i) {
      const json& set = sets[i];
      std::string reason = text_cell(set, "reason");
      // The reason an accepted set was promoted lives in its promotion record.
      if (reason == "-" && set.value("promotion", json()).is_object()) reason = text_cell(set["promotion"], "reason");
      table.add({text_cell(set, "version"), text_cell(set, "created_at"), text_cell(set, "status"),
                 number_cell(set.value("training_executions", json())),
                 number_cell(set.value("holdout_executions", json())), reason});
    }
    std::cout << table.render("  ");
    if (sets.size() > kSetsShown) {
      std::cout << fmt::format("  ... and {} older (--json lists them all)\n", sets.size() - kSetsShown);
    }
  }

  const json t = s.value("training", json::object());
  std::cout << "\ntraining:\n";
  if (store_mode) {
    std::cout << "  (store mode: a server's trainer runs in its own process; ask it with --url for its runs)\n";
  } else {
    std::string state = t.value("running", false) ? "running" : "not running";
    if (!t.value("enabled", true)) state += " (this server does not train: train: false)";
    std::cout << "  state:      " << state << '\n';
    if (t.value("current_job", json()).is_object()) {
      std::cout << "  current:    " << describe_job(t["current_job"]) << '\n';
    }
    std::cout << "  last run:   "
              << (t.value("last_run", json()).is_object() ? describe_job(t["last_run"])
                                                          : std::string("none since the server started"))
              << '\n';
  }
  if (active.is_string()) {
    std::cout << fmt::format("  executions: {} in the store, {} new since the active set's training\n",
                             number_cell(t.value("executions", json())),
                             number_cell(t.value("new_samples_since_last_training", json())));
  } else {
    std::cout << fmt::format("  executions: {} in the store, no model set trained on them yet\n",
                             number_cell(t.value("executions", json())));
  }
  std::cout << fmt::format("  retrains:   at {} new executions (retrain_threshold), checked every {} s, from {} "
                           "executions (min_training_executions)\n",
                           number_cell(t.value("retrain_threshold", json())),
                           number_cell(t.value("check_interval_seconds", json()), 0),
                           number_cell(t.value("min_training_executions", json())));
}

int run_status(StatusFlags& f) {
  Target target = resolve_target(f.client);
  if (target.exit_code != kExitOk) return target.exit_code;
  const bool store_mode = target.db.has_value();
  auto readable = [store_mode](const json& status) { print_status(status, store_mode); };
  if (!store_mode) {
    ServerReply reply = call_server(f.client, boost::beast::http::verb::get, "/models/status");
    return print_server_answer(reply, f.client.json, readable);
  }
  int code = kExitOk;
  auto direct = open_direct_learning(*target.db, f.client, code);
  if (!direct) return code;
  auto status = direct->service().models_status();
  if (!status.ok()) return report_failure(status.status());
  return print_answer_object(http::models_status_json(*status, direct->service().learning_options()), f.client.json,
                             readable);
}

}  // namespace

void register_status_command(CLI::App& app) {
  auto flags = std::make_shared<StatusFlags>();
  CLI::App* cmd = app.add_subcommand("status", "Show the model sets, each model's figures and the training state");
  cmd->footer(
      "Server mode (the default): asks the server at --url (GET /models/status, role read, --token\n"
      "or $AGENTLEARN_TOKEN), including its trainer's current and last run. Store mode (--db, or\n"
      "--config naming a database): reads the store in this process; the model sets and figures are\n"
      "the same, the training state holds only the store's counts (a server's runs are its own).\n"
      "Per model: the active version, when it was trained, on how many samples, its held-out\n"
      "metrics and whether it is below model_accuracy_target. --json prints the object\n"
      "GET /models/status answers.\n"
      "Examples:\n"
      "  agentlearn status\n"
      "  agentlearn status --db sqlite:./data/agentlearn.db --json\n"
      "Exit status: 0 shown, 1 the server or store failed, 2 bad usage.\n");
  add_client_options(*cmd, flags->client);
  cmd->callback([flags] {
    int code = run_status(*flags);
    if (code != kExitOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace agentlearn
