#include "ml/success_rules.hpp"

#include <cmath>
#include <limits>

#include "ml/outcome_scale.hpp"

namespace agentlearn::ml {

void SuccessRules::count(Counts& c, bool success, double execution_time, std::optional<double> cost_usd) {
  ++c.runs;
  c.successes += success;
  if (std::isfinite(execution_time) && execution_time >= 0) {
    ++c.timed;
    c.sum_log_time += log_time(execution_time);
  }
  if (cost_usd && std::isfinite(*cost_usd) && *cost_usd >= 0) {
    ++c.costed;
    c.sum_log_cost += log_cost(*cost_usd);
  }
}

void SuccessRules::add(std::string_view agent_id, std::string_view task_type, bool success) {
  add(agent_id, task_type, success, std::numeric_limits<double>::quiet_NaN(), std::nullopt);
}

void SuccessRules::add(std::string_view agent_id, std::string_view task_type, bool success, double execution_time,
                       std::optional<double> cost_usd) {
  count(global_, success, execution_time, cost_usd);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) it = agents_.emplace(std::string(agent_id), Agent{}).first;
  count(it->second.all, success, execution_time, cost_usd);
  if (task_type.empty()) return;
  auto g = types_.find(task_type);
  if (g == types_.end()) g = types_.emplace(std::string(task_type), Counts{}).first;
  count(g->second, success, execution_time, cost_usd);
  auto t = it->second.by_type.find(task_type);
  if (t == it->second.by_type.end()) t = it->second.by_type.emplace(std::string(task_type), Counts{}).first;
  count(t->second, success, execution_time, cost_usd);
}

double SuccessRules::smoothed_log(size_t n, double sum, double prior) const {
  if (!std::isfinite(prior)) return n ? sum / static_cast<double>(n) : prior;
  return (sum + smoothing_ * prior) / (static_cast<double>(n) + smoothing_);
}

SuccessRules::Estimate SuccessRules::estimate(std::string_view agent_id, std::string_view task_type) const {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Estimate out;
  out.success_probability = rate(agent_id, task_type);
  double log_t = global_.timed ? global_.sum_log_time / static_cast<double>(global_.timed) : kNaN;
  double log_c = global_.costed ? global_.sum_log_cost / static_cast<double>(global_.costed) : kNaN;
  auto it = agents_.find(agent_id);
  if (it != agents_.end()) {
    log_t = smoothed_log(it->second.all.timed, it->second.all.sum_log_time, log_t);
    log_c = smoothed_log(it->second.all.costed, it->second.all.sum_log_cost, log_c);
    auto t = task_type.empty() ? it->second.by_type.end() : it->second.by_type.find(task_type);
    if (t != it->second.by_type.end()) {
      log_t = smoothed_log(t->second.timed, t->second.sum_log_time, log_t);
      log_c = smoothed_log(t->second.costed, t->second.sum_log_cost, log_c);
    }
  }
  out.time = std::exp(log_t);
  out.cost = std::exp(log_c);
  return out;
}

double SuccessRules::global_rate() const {
  // Laplace's rule before anything is known; the observed rate once there is data.
  return (static_cast<double>(global_.successes) + 1) / (static_cast<double>(global_.runs) + 2);
}

double SuccessRules::smoothed(const Counts& c, double prior) const {
  return (static_cast<double>(c.successes) + smoothing_ * prior) / (static_cast<double>(c.runs) + smoothing_);
}

double SuccessRules::rate(std::string_view agent_id, std::string_view task_type) const {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return global_rate();
  double agent = smoothed(it->second.all, global_rate());
  if (task_type.empty()) return agent;
  auto t = it->second.by_type.find(task_type);
  return t == it->second.by_type.end() ? agent : smoothed(t->second, agent);
}

double SuccessRules::rate_against_field(std::string_view agent_id, std::string_view task_type) const {
  const double field = type_rate(task_type);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return field;
  auto t = it->second.by_type.find(task_type);
  return t == it->second.by_type.end() ? field : smoothed(t->second, field);
}

size_t SuccessRules::samples(std::string_view agent_id, std::string_view task_type) const {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return 0;
  if (task_type.empty()) return it->second.all.runs;
  auto t = it->second.by_type.find(task_type);
  return t == it->second.by_type.end() ? 0 : t->second.runs;
}

SuccessRules::Counts SuccessRules::type_counts(std::string_view task_type) const {
  auto it = types_.find(task_type);
  return it == types_.end() ? Counts{} : it->second;
}

double SuccessRules::type_rate(std::string_view task_type) const { return smoothed(type_counts(task_type), global_rate()); }

std::vector<std::string> SuccessRules::agents() const {
  std::vector<std::string> out;
  out.reserve(agents_.size());
  for (const auto& [name, _] : agents_) out.push_back(name);
  return out;
}

SuccessRules::Counts SuccessRules::agent_counts(std::string_view agent_id) const {
  auto it = agents_.find(agent_id);
  return it == agents_.end() ? Counts{} : it->second.all;
}

std::vector<std::pair<std::string, SuccessRules::Counts>> SuccessRules::agent_types(std::string_view agent_id) const {
  std::vector<std::pair<std::string, Counts>> out;
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return out;
  for (const auto& [type, counts] : it->second.by_type) out.emplace_back(type, counts);
  return out;
}

}  // namespace agentlearn::ml
