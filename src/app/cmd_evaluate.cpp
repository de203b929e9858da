#include "app/cmd_evaluate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/config.hpp"
#include "app/evaluation_data.hpp"
#include "app/evaluation_seeds.hpp"
#include "core/bounded_json.hpp"
#include "core/json_text.hpp"
#include "ml/evaluation.hpp"
#include "ml/off_policy.hpp"
#include "store/open_store.hpp"
#include "ml/routing_evaluation.hpp"
#include "service/objective_json.hpp"

namespace agentlearn {

namespace {

struct EvaluateFlags {
  std::string data = "../shared/data/swebench-verified/executions.jsonl";
  bool data_given = false;
  std::string db;  // a store: its executions (unless --data) and its logged recommendations
  std::string config;
  std::string objective;  // JSON, as POST /task/recommend takes it
  bool json = false;
  bool tune_cost_weight = false;
  bool text_only = false;  // withhold task_type (and context members equal to it)
  int folds = 5;
  uint64_t seed = 42;
  std::vector<uint64_t> seeds;  // --seeds: the replay over each, one line per seed and the mean
};

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// The store's logged online-mode decisions joined with their outcomes, scored for the
// models' greedy choice and the rules' choice.
StatusOr<nlohmann::json> off_policy_section(RecommendationLogStore& store) {
  std::vector<ml::LoggedDecision> greedy, rules;
  Status st = store.scan_logged_outcomes([&](const RecommendationLogRow& log, const StoredRow& row) {
    if (log.mode != "online" || log.model_agent.empty()) return;  // only randomised decisions
    const double reward = row.execution.success ? 1 : 0;
    // The execution is the run that followed; its agent is what was actually tried.
    greedy.push_back({row.execution.agent_id, log.model_agent, log.propensity, reward});
    rules.push_back({row.execution.agent_id, log.rules_agent, log.propensity, reward});
  });
  if (!st.ok()) return st;
  auto as_json = [](const ml::OffPolicyEstimate& e) {
    return nlohmann::json{{"matched", e.matched}, {"ips", number(e.ips)}, {"snips", number(e.snips)}};
  };
  ml::OffPolicyEstimate g = ml::estimate_policy(greedy), r = ml::estimate_policy(rules);
  return nlohmann::json{{"decisions", g.decisions},
                        {"logged_success", number(g.decisions ? g.logged_reward : NAN)},
                        {"models_greedy", as_json(g)},
                        {"rules", as_json(r)}};
}

// Rejected records listed: in the JSON report, and on the terminal.
constexpr size_t kListedRejections = 1000;
constexpr size_t kPrintedRejections = 20;

int run_evaluate(const EvaluateFlags& flags) {
  auto unusable = [](const std::string& why) {
    std::cerr << "evaluate: " << why << "\n";
    return 2;
  };
  ml::ModelParams params;
  if (!flags.config.empty()) {
    auto config = load_config(flags.config, {}, {});
    if (!config.ok()) return unusable(config.status().message());
    params = config->models;
  }
  ml::RoutingOptions options;
  options.folds = flags.folds;
  options.seed = flags.seed;
  options.tune_cost_weight = flags.tune_cost_weight;
  if (!flags.objective.empty()) {
    auto parsed = parse_bounded_json(flags.objective, "--objective", "objective");
    if (!parsed.ok()) return unusable(parsed.status().message());
    auto objective = objective_from_json(*parsed);
    if (!objective.ok()) return unusable(objective.status().field() + ": " + objective.status().message());
    options.objective = *objective;
  }
  std::unique_ptr<Store> store;
  nlohmann::json off_policy = nullptr;
  if (!flags.db.empty()) {
    auto opened = open_store(flags.db);
    if (!opened.ok()) return unusable(opened.status().message());
    store = std::move(*opened);
    if (Status st = store->migrate(); !st.ok()) return unusable("cannot open the store: " + st.message());
    auto section = off_policy_section(store->recommendation_log());
    if (!section.ok()) return unusable(section.status().message());
    off_policy = std::move(*section);
  }
  StatusOr<std::vector<Execution>> rows = std::vector<Execution>{};
  importing::Tally read;  // of the file: records read and rejected
  if (store && !flags.data_given) {
    Status st = store->executions().scan_executions(0, 0, [&](const StoredRow& r) { rows->push_back(r.execution); });
    if (!st.ok()) return unusable(st.message());
  } else {
    // Read as `import` reads it: a bad record is listed with its line, and the file goes on.
    auto file = read_executions_file(flags.data);
    if (!file.ok()) return unusable(file.status().message());
    rows = std::move(file->rows);
    read = std::move(file->tally);
  }
  if (!rows.ok()) return unusable(rows.status().message());

  if (flags.text_only) withhold_task_type(*rows);
  if (!flags.seeds.empty()) {
    if (!options.objective.success_only()) return unusable("--seeds reports success only: leave out --objective");
    auto report = evaluate_over_seeds(*rows, params, options, flags.seeds);
    if (!report.ok()) {
      std::cerr << "evaluate: " << report.status().message() << "\n";
      return report.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
    }
    report->json["data"] = store && !flags.data_given ? flags.db : flags.data;
    report->json["text_only"] = flags.text_only;
    report->json["rejected"] = read.rejected;
    std::cout << (flags.json ? json_text(report->json, 2) + "\n" : report->text);
    return report->every_seed_holds ? 0 : 1;
  }
  auto ev = ml::evaluate_routing(*rows, params, options);
  if (!ev.ok()) {
    std::cerr << "evaluate: " << ev.status().message() << "\n";
    return ev.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  auto anomaly = ml::evaluate_anomaly_detector(*rows, params.anomaly_detector, 0.02, flags.seed);
  double anomaly_auc = anomaly.ok() ? anomaly->auc : NAN;

  const ml::RoutingPoint& plain = ev->cost_curve.front();
  // The gate, under a success-only objective: routed must not fall below the best single
  // agent or any one-field rule by more than the split's noise, max(0.004, 2 paired standard
  // errors of the difference). The rules that fall short are named.
  std::vector<std::string> below;
  if (options.objective.success_only()) below = ml::policies_above_routed(*ev);
  const bool holds = below.empty();

  nlohmann::json out;
  out["data"] = store && !flags.data_given ? flags.db : flags.data;
  out["off_policy"] = off_policy;
  out["split"] = fmt::format("{}-fold by task (one text, one fold), seed {}", ev->folds, ev->seed);
  out["rejected"] = read.rejected;
  out["errors"] = nlohmann::json::array();
  for (size_t i = 0; i < read.errors.size() && i < kListedRejections; ++i) {
    const importing::Rejection& r = read.errors[i];
    out["errors"].push_back({{"line", r.line}, {"field", r.field.empty() ? nlohmann::json() : nlohmann::json(r.field)},
                             {"message", r.message}});
  }
  out["text_only"] = flags.text_only;
  // The share of the distance from the best single agent to the oracle that routing covers.
  out["oracle_gap_closed"] = number(ml::oracle_gap_closed(*ev));
  out["tasks"] = ev->tasks;
  out["executions"] = ev->executions;
  out["agents"] = ev->agents;
  const ml::Objective& o = options.objective;
  out["objective"] = {{"cost_weight", o.cost_weight},
                      {"relative_cost_weight", o.relative_cost_weight},
                      {"time_weight", o.time_weight},
                      {"max_cost", o.max_cost ? number(*o.max_cost) : nullptr},
                      {"max_time", o.max_time ? number(*o.max_time) : nullptr},
                      {"max_quality_loss", o.max_quality_loss ? number(*o.max_quality_loss) : nullptr}};
  out["routed_success"] = number(ev->routed_success);
  out["routed_cost"] = number(ev->routed_cost);
  out["routed_success_no_cost_weight"] = number(plain.success);
  out["routed_cost_no_cost_weight"] = number(plain.cost);
  out["rules_success"] = number(ev->rules_success);
  out["rules_cost"] = number(ev->rules_cost);
  out["best_single_success"] = number(ev->best_single_success);
  out["best_single_cost"] = number(ev->best_single_cost);
  out["best_single_agents"] = ev->best_single_agents;
  out["served_policies"] = ev->served_policies;
  out["policies"] = nlohmann::json::array();
  for (const auto& f : ev->policies) {
    out["policies"].push_back({{"policy", f.policy},
                               {"description", f.description},
                               {"success", number(f.success)},
                               {"cost", number(f.cost)},
                               {"routed_minus", number(ev->routed_success - f.success)},
                               {"difference_se", number(f.difference_se)},
                               {"served_folds", f.served_folds}});
  }
  out["oracle_success"] = number(ev->oracle_success);
  out["oracle_cost"] = number(ev->oracle_cost);
  out["random_success"] = number(ev->random_success);
  out["random_cost"] = number(ev->random_cost);
  out["selector_auc"] = number(ev->selector_auc);
  out["selector_log_loss"] = number(ev->selector_log_loss);
  out["r2_log_time"] = number(ev->r2_log_time);
  out["r2_log_cost"] = number(ev->r2_log_cost);
  out["anomaly_auc"] = number(anomaly_auc);
  out["cost_curve"] = nlohmann::json::array();
  for (const auto& p : ev->cost_curve) {
    out["cost_curve"].push_back({{"cost_weight", p.cost_weight}, {"success", number(p.success)}, {"cost", number(p.cost)}});
  }
  auto points = [](const std::vector<ml::TradeoffPoint>& ps) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& p : ps) a.push_back({{"form", p.form}, {"cost", number(p.cost)}, {"success", number(p.quality)}});
    return a;
  };
  out["tradeoff"] = points(ev->tradeoff);
  out["pareto_front"] = points(ev->pareto);
  out["aiq"] = number(ev->aiq);
  out["near_best_single"] = nullptr;
  if (ev->near_best_single) {
    out["near_best_single"] = {{"form", ev->near_best_single->form},
                               {"cost", number(ev->near_best_single->cost)},
                               {"success", number(ev->near_best_single->quality)},
                               {"cost_share", number(ev->near_best_single_cost_share)}};
  }
  if (ev->tuned) {
    out["tuned_cost_weight"] = {{"weights", ev->tuned_weights},
                                {"success", number(ev->tuned->success)},
                                {"cost", number(ev->tuned->cost)},
                                {"tolerance", options.tolerance}};
  }
  out["training_seconds"] = ev->training_seconds;
  out["holds_against_every_rule"] = holds;
  out["below"] = below;

  if (flags.json) {
    std::cout << json_text(out, 2) << "\n";
  } else {
    if (read.rejected > 0) {
      std::cout << fmt::format("{} record{} of the file {} rejected and left out{}:\n", read.rejected,
                               read.rejected == 1 ? "" : "s", read.rejected == 1 ? "was" : "were",
                               read.rejected > kPrintedRejections ? fmt::format(" (the first {})", kPrintedRejections) : "");
      for (size_t i = 0; i < read.errors.size() && i < kPrintedRejections; ++i) {
        const importing::Rejection& r = read.errors[i];
        std::cout << fmt::format("  line {}: {}{}\n", r.line, r.field.empty() ? "" : r.field + ": ", r.message);
      }
      std::cout << '\n';
    }
    std::cout << fmt::format("{} tasks, {} executions, {} agents; {}{}\n\n", ev->tasks, ev->executions, ev->agents,
                             out["split"].get<std::string>(),
                             flags.text_only ? "; text only (task_type and context equal to it withheld)" : "");
    std::cout << fmt::format("{:<44} {:>8} {:>10}\n", "policy", "success", "cost $");
    auto line = [](const std::string& what, double s, double c) {
      std::cout << fmt::format("{:<44} {:>8.4f} {:>10.4f}\n", what, s, c);
    };
    line("routed (the objective given)", ev->routed_success, ev->routed_cost);
    line("routed, success only", plain.success, plain.cost);
    line("random agent", ev->random_success, ev->random_cost);
    line("oracle (cheapest agent that succeeded)", ev->oracle_success, ev->oracle_cost);
    if (ev->tuned) line("routed, cost weight tuned in training folds", ev->tuned->success, ev->tuned->cost);
    std::cout << fmt::format("routed closes {:.1f}% of the gap from the best single agent to the oracle\n",
                             100 * (ev->routed_success - ev->best_single_success) /
                                 (ev->oracle_success - ev->best_single_success));
    // Every policy on the same tasks: routed minus it, and that difference's paired standard
    // error (beyond 2 of them, the difference is not the split's noise).
    std::cout << fmt::format("\nevery policy (routed = the one each fold's set chose on its training tasks)\n"
                             "{:<20} {:>8} {:>10} {:>13} {:>9} {:>7}\n",
                             "policy", "success", "cost $", "routed minus", "paired SE", "served");
    for (const auto& f : ev->policies) {
      std::cout << fmt::format("{:<20} {:>8.4f} {:>10.4f} {:>+13.4f} {:>9.4f} {:>4}/{}\n", f.policy, f.success, f.cost,
                               ev->routed_success - f.success, f.difference_se, f.served_folds, ev->folds);
    }
    std::cout << "\ncost/success curve\n" << fmt::format("{:>12} {:>8} {:>10}\n", "cost_weight", "success", "cost $");
    for (const auto& p : ev->cost_curve) std::cout << fmt::format("{:>12.3f} {:>8.4f} {:>10.4f}\n", p.cost_weight, p.success, p.cost);
    if (!ev->pareto.empty()) {
      std::cout << fmt::format("\nquality/cost Pareto front over the objective forms (AIQ {:.4f})\n", ev->aiq);
      for (const auto& p : ev->pareto) {
        std::cout << fmt::format("  {:<28} {:>8.4f} {:>10.4f}\n", p.form, p.quality, p.cost);
      }
      if (ev->near_best_single) {
        std::cout << fmt::format("cheapest within 0.02 of the best single agent: {} at {:.4f}, {:.0f}% of its cost\n",
                                 ev->near_best_single->form, ev->near_best_single->quality,
                                 100 * ev->near_best_single_cost_share);
      }
    }
    std::cout << fmt::format("\nselector ROC AUC {:.4f}, log loss {:.4f}; R^2 log time {:.4f}, log cost {:.4f}; "
                             "anomaly AUC {:.4f}\n",
                             ev->selector_auc, ev->selector_log_loss, ev->r2_log_time, ev->r2_log_cost, anomaly_auc);
    std::cout << fmt::format("model-set training: {:.1f} s in all\n", ev->training_seconds);
    if (off_policy.is_object()) {
      std::cout << fmt::format(
          "\nlogged online-mode decisions with outcomes: {}; their success {}\n"
          "  the models' greedy choice, inverse-propensity estimate: IPS {} SNIPS {} ({} matched)\n"
          "  the rules' choice: IPS {} SNIPS {} ({} matched)\n",
          json_text(off_policy["decisions"]), json_text(off_policy["logged_success"]), json_text(off_policy["models_greedy"]["ips"]),
          json_text(off_policy["models_greedy"]["snips"]), json_text(off_policy["models_greedy"]["matched"]),
          json_text(off_policy["rules"]["ips"]), json_text(off_policy["rules"]["snips"]), json_text(off_policy["rules"]["matched"]));
    }
    if (!options.objective.success_only()) {
      std::cout << "(the gate compares success with no cost or time weight: run without --objective)\n";
    } else if (holds) {
      std::cout << "routed holds against the best single agent and every one-field rule "
                   "(none above it by more than max(0.004, 2 paired SE))\n";
    } else {
      std::cout << "routed is BELOW, by more than max(0.004, 2 paired SE): " << fmt::format("{}", fmt::join(below, ", "))
                << "\n";
    }
  }
  return holds ? 0 : 1;
}

}  // namespace

void register_evaluate_command(CLI::App& app) {
  auto flags = std::make_shared<EvaluateFlags>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Replay executions through the service's routing, split by task");
  cmd->footer(
      "Trains the model set on k-1 folds of the tasks, recommends an agent for every held-out task\n"
      "among the agents that ran it, and scores the pick by that agent's recorded outcome.\n"
      "With --db, recommendations the service logged in online mode, joined with the executions\n"
      "recorded under their recommendation_id, give inverse-propensity estimates of the models'\n"
      "greedy policy and of the rules (off_policy in --json).\n"
      "Exit status: 0 routed success holds against the best single agent and every one-field rule\n"
      "(none above it by more than max(0.004, 2 paired standard errors); success-only objective),\n"
      "1 below one of them or training failed, 2 data, objective or config unusable.");
  cmd->add_option("--data", flags->data,
                  "JSON Lines (or .csv) file of executions, read as `import` reads it: a bad record is listed "
                  "with its line and left out")
      ->capture_default_str()
      ->each([flags](const std::string&) { flags->data_given = true; });
  cmd->add_option("--db", flags->db,
                  "A store: replay its executions (unless --data is given) and estimate policies from its logged "
                  "online-mode recommendations (inverse propensity)");
  cmd->add_option("--config", flags->config, "YAML config whose models.<name>.parameters.* are used");
  cmd->add_option("--objective", flags->objective,
                  R"(Objective as POST /task/recommend takes it, e.g. '{"cost_weight":0.3}')");
  cmd->add_flag("--tune-cost-weight", flags->tune_cost_weight,
                "Also choose a cost weight inside each training fold (nested folds; 6x the training)");
  cmd->add_flag("--json", flags->json, "Print one JSON object");
  cmd->add_option("--folds", flags->folds, "Folds of the split by task")->capture_default_str()->check(CLI::Range(2, 20));
  cmd->add_option("--seed", flags->seed, "Seed of the split")->capture_default_str();
  cmd->add_option("--seeds", flags->seeds,
                  "Replay over each of these split seeds (e.g. 0,1,2,3,4,42): a line per seed with every policy, "
                  "and their mean; exit 1 when the gate fails on any seed")
      ->delimiter(',');
  cmd->add_flag("--text-only", flags->text_only,
                "Withhold every task_type and each context member equal to it: routing from the text alone");
  cmd->callback([flags] {
    int code = run_evaluate(*flags);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace agentlearn
