#include "ml/success_rules.hpp"

namespace agentlearn::ml {

void SuccessRules::add(std::string_view agent_id, std::string_view task_type, bool success) {
  ++global_.runs;
  global_.successes += success;
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) it = agents_.emplace(std::string(agent_id), Agent{}).first;
  ++it->second.all.runs;
  it->second.all.successes += success;
  if (task_type.empty()) return;
  auto g = types_.find(task_type);
  if (g == types_.end()) g = types_.emplace(std::string(task_type), Counts{}).first;
  ++g->second.runs;
  g->second.successes += success;
  auto t = it->second.by_type.find(task_type);
  if (t == it->second.by_type.end()) t = it->second.by_type.emplace(std::string(task_type), Counts{}).first;
  ++t->second.runs;
  t->second.successes += success;
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
