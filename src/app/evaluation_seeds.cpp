#include "app/evaluation_seeds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace agentlearn {

namespace {
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

struct Mean {
  double sum = 0;
  size_t n = 0;
  void add(double v) {
    if (std::isfinite(v)) sum += v, ++n;
  }
  double value() const { return n ? sum / static_cast<double>(n) : NAN; }
};
}  // namespace

StatusOr<SeedsReport> evaluate_over_seeds(std::span<const Execution> rows, const ml::ModelParams& params,
                                          ml::RoutingOptions options, std::span<const uint64_t> seeds) {
  SeedsReport report;
  std::vector<std::string> order;  // policies in the first seed's order, then any new ones
  std::map<std::string, Mean> policy_mean;
  Mean routed, best_single, oracle, gap, auc;
  std::vector<std::map<std::string, double>> per_seed;
  report.json["seeds"] = nlohmann::json::array();
  for (uint64_t seed : seeds) {
    options.seed = seed;
    auto ev = ml::evaluate_routing(rows, params, options);
    if (!ev.ok()) return Status(ev.status().code(), fmt::format("seed {}: {}", seed, ev.status().message()));
    const std::vector<std::string> above = ml::policies_above_routed(*ev);
    report.every_seed_holds = report.every_seed_holds && above.empty();
    routed.add(ev->routed_success);
    best_single.add(ev->best_single_success);
    oracle.add(ev->oracle_success);
    gap.add(ml::oracle_gap_closed(*ev));
    auc.add(ev->selector_auc);
    nlohmann::json policies = nlohmann::json::object();
    std::map<std::string, double> figures;
    for (const auto& f : ev->policies) {
      if (std::find(order.begin(), order.end(), f.policy) == order.end()) order.push_back(f.policy);
      policy_mean[f.policy].add(f.success);
      figures[f.policy] = f.success;
      policies[f.policy] = {{"success", number(f.success)},
                            {"routed_minus", number(ev->routed_success - f.success)},
                            {"difference_se", number(f.difference_se)},
                            {"served_folds", f.served_folds}};
    }
    per_seed.push_back(figures);
    report.json["seeds"].push_back({{"seed", seed},
                                    {"routed_success", number(ev->routed_success)},
                                    {"best_single_success", number(ev->best_single_success)},
                                    {"oracle_success", number(ev->oracle_success)},
                                    {"oracle_gap_closed", number(ml::oracle_gap_closed(*ev))},
                                    {"selector_auc", number(ev->selector_auc)},
                                    {"served_policies", ev->served_policies},
                                    {"policies", policies},
                                    {"holds_against_every_rule", above.empty()},
                                    {"below", above}});
  }
  nlohmann::json means = nlohmann::json::object();
  for (const auto& name : order) {
    means[name] = {{"success", number(policy_mean[name].value())}, {"seeds", policy_mean[name].n}};
  }
  report.json["mean"] = {{"routed_success", number(routed.value())},
                         {"best_single_success", number(best_single.value())},
                         {"oracle_success", number(oracle.value())},
                         {"oracle_gap_closed", number(gap.value())},
                         {"selector_auc", number(auc.value())},
                         {"policies", means}};
  report.json["every_seed_holds"] = report.every_seed_holds;

  std::string& t = report.text;
  t += fmt::format("{:<8} {:>7} {:>7} {:>7} {:>7}", "seed", "routed", "single", "oracle", "gap");
  auto width = [](const std::string& name) { return std::max<size_t>(7, name.size()); };
  for (const auto& name : order) t += fmt::format(" {:>{}}", name, width(name));
  t += "  gate\n";
  for (size_t i = 0; i < per_seed.size(); ++i) {
    const nlohmann::json& row = report.json["seeds"][i];
    auto value = [](const nlohmann::json& v) { return v.is_number() ? v.get<double>() : NAN; };
    t += fmt::format("{:<8} {:>7.4f} {:>7.4f} {:>7.4f} {:>6.1f}%", row["seed"].get<uint64_t>(),
                     value(row["routed_success"]), value(row["best_single_success"]), value(row["oracle_success"]),
                     100 * value(row["oracle_gap_closed"]));
    for (const auto& name : order) {
      auto it = per_seed[i].find(name);
      t += it == per_seed[i].end() ? fmt::format(" {:>{}}", "-", width(name))
                                   : fmt::format(" {:>{}.4f}", it->second, width(name));
    }
    t += row["holds_against_every_rule"].get<bool>() ? "  holds\n" : "  BELOW\n";
  }
  t += fmt::format("{:<8} {:>7.4f} {:>7.4f} {:>7.4f} {:>6.1f}%", "mean", routed.value(), best_single.value(),
                   oracle.value(), 100 * gap.value());
  for (const auto& name : order) t += fmt::format(" {:>{}.4f}", policy_mean[name].value(), width(name));
  t += fmt::format("\nselector ROC AUC, mean over the seeds: {:.4f}\n", auc.value());
  t += report.every_seed_holds ? "routed holds against every rule on every seed\n"
                               : "routed is below a rule by more than max(0.004, 2 paired SE) on some seed\n";
  return report;
}

}  // namespace agentlearn
