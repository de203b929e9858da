#include "service/model_registry.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <limits>
#include <map>

#include "core/time.hpp"
#include "ml/policies/registry.hpp"

namespace agentlearn {

namespace {
std::shared_ptr<ActiveModels> make_active(std::shared_ptr<const ml::ModelSet> set, const ModelSetRecord& record,
                                          int64_t activated_us) {
  auto a = std::make_shared<ActiveModels>();
  a->set = std::move(set);
  // A set names a policy of its own registry, so this cannot fail unless the set is from a
  // build that knew more policies; then the model serves, and the log says so.
  auto policy = ml::make_policy(a->set->served_policy(), a->set->features());
  if (!policy.ok()) {
    spdlog::warn("model set {} serves '{}', which this build does not know: the model serves ({})", record.version,
                 a->set->served_policy(), policy.status().message());
    policy = ml::make_policy("model", a->set->features());
  }
  a->policy = std::move(*policy);
  a->version = record.version;
  a->summary_json = record.summary_json;
  a->activated_us = activated_us;
  return a;
}
}  // namespace

ModelRegistry::ModelRegistry(ModelStore& store, metrics::Registry& registry) : store_(store), registry_(registry) {}

std::shared_ptr<const ActiveModels> ModelRegistry::active() const {
  std::lock_guard lock(mu_);
  return active_;
}

namespace {
// Per model, the figure a summary gives (`accuracy`), where it is a number.
std::map<std::string, double> figures_of(const std::string& summary_json) {
  std::map<std::string, double> out;
  auto summary = nlohmann::json::parse(summary_json, nullptr, false);
  if (!summary.is_object() || !summary["models"].is_object()) return out;
  for (const auto& [name, m] : summary["models"].items()) {
    if (m.is_object() && m.contains("accuracy") && m["accuracy"].is_number()) out[name] = m["accuracy"].get<double>();
  }
  return out;
}
}  // namespace

void ModelRegistry::publish(std::shared_ptr<const ActiveModels> next, std::optional<std::string> previous_summary) {
  // The figures of the set now serving, per model, for Prometheus; beside them the figures of
  // the set it replaced, so an alert can see a drop (NaN where there is none to compare).
  if (!previous_summary) {
    std::lock_guard lock(mu_);
    if (active_) previous_summary = active_->summary_json;
  }
  const std::map<std::string, double> previous = previous_summary ? figures_of(*previous_summary)
                                                                  : std::map<std::string, double>{};
  auto summary = nlohmann::json::parse(next->summary_json, nullptr, false);
  if (summary.is_object() && summary["models"].is_object()) {
    auto& accuracy = registry_.gauge("model_accuracy",
                                     "Held-out figure of each active model: ROC AUC or accuracy (R^2 of log time "
                                     "for the performance_predictor)",
                                     {"model_name"});
    auto& before = registry_.gauge("model_accuracy_previous",
                                   "model_accuracy of the model set active before the current one (NaN if none)",
                                   {"model_name"});
    auto& below = registry_.gauge("model_below_target", "1 when the active model is below model_accuracy_target",
                                  {"model_name"});
    for (const auto& [name, m] : summary["models"].items()) {
      if (m.contains("accuracy") && m["accuracy"].is_number()) accuracy.labels({name}).set(m["accuracy"].get<double>());
      auto it = previous.find(name);
      before.labels({name}).set(it != previous.end() ? it->second : std::numeric_limits<double>::quiet_NaN());
      below.labels({name}).set(m.value("below_target", false) ? 1 : 0);
    }
  }
  registry_.gauge("model_set_activated_timestamp_seconds", "When the active model set became active").labels().set(
      static_cast<double>(next->activated_us) / 1e6);
  std::lock_guard lock(mu_);
  active_ = std::move(next);
}

StatusOr<std::shared_ptr<const ActiveModels>> ModelRegistry::load(const ModelSetRecord& record) {
  auto set = ml::ModelSet::deserialize(record.blob);
  if (!set.ok()) return Status::Internal("model set " + record.version + " cannot be loaded: " + set.status().message());
  return std::shared_ptr<const ActiveModels>(make_active(std::move(*set), record, 0));
}

StatusOr<bool> ModelRegistry::sync_from_store() {
  std::lock_guard order(activate_mu_);
  auto history = store_.activations();
  if (!history.ok()) return history.status();
  if (history->empty()) return false;
  const ModelActivation& last = history->back();
  if (auto cur = active(); cur && cur->version == last.version && cur->activated_us == last.activated_us) return false;
  auto record = store_.load_model_set(last.version);
  if (!record.ok()) return record.status();
  if (!*record) return Status::Internal("the activation history names " + last.version + ", which is not stored");
  auto loaded = load(**record);
  if (!loaded.ok()) return loaded.status();
  auto a = std::const_pointer_cast<ActiveModels>(*loaded);
  a->activated_us = last.activated_us;
  // After a restart nothing served before: the previous set is the one the history names
  // before the last (its summary from the listing, which carries no blobs).
  std::optional<std::string> previous;
  if (!active() && history->size() >= 2) {
    const std::string& before = (*history)[history->size() - 2].version;
    if (auto sets = store_.list_model_sets(); sets.ok()) {
      for (const auto& r : *sets) {
        if (r.version == before) previous = r.summary_json;
      }
    }
  }
  publish(std::move(a), std::move(previous));
  spdlog::info("model set {} is active ({})", last.version, last.reason);
  return true;
}

Status ModelRegistry::activate(std::string_view version, std::string_view reason) {
  std::lock_guard order(activate_mu_);
  auto record = store_.load_model_set(version);
  if (!record.ok()) return record.status();
  if (!*record) return Status{StatusCode::kNotFound, "no model set has version '" + std::string(version) + "'", "version"};
  if ((*record)->rejected) {
    return Status::Conflict("model set " + std::string(version) + " was rejected (" + (*record)->reason +
                                "); only sets that passed the promotion rule can be activated",
                            "version");
  }
  auto loaded = load(**record);
  if (!loaded.ok()) return loaded.status();
  ModelActivation act;
  act.version = std::string(version);
  act.activated_us = now_us();
  act.reason = std::string(reason);
  if (Status st = store_.record_activation(act); !st.ok()) return st;
  auto a = std::const_pointer_cast<ActiveModels>(*loaded);
  a->activated_us = act.activated_us;
  publish(std::move(a));
  spdlog::info("model set {} is active ({})", version, reason);
  return Status::Ok();
}

Status ModelRegistry::activate_trained(std::shared_ptr<const ml::ModelSet> set, const ModelSetRecord& record,
                                       std::string_view reason) {
  std::lock_guard order(activate_mu_);
  ModelActivation act;
  act.version = record.version;
  act.activated_us = now_us();
  act.reason = std::string(reason);
  if (Status st = store_.record_activation(act); !st.ok()) return st;
  publish(make_active(std::move(set), record, act.activated_us));
  spdlog::info("model set {} is active ({})", record.version, reason);
  return Status::Ok();
}

}  // namespace agentlearn
