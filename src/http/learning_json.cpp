#include "http/learning_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "core/bounded_json.hpp"
#include "core/execution_json.hpp"
#include "core/json_text.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"
#include "service/objective_json.hpp"

namespace agentlearn::http {

namespace {

using json = nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
template <typename T>
json optional(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

int depth_of(const json& v) {
  if (!v.is_structured()) return 0;
  int d = 0;
  for (const auto& child : v) d = std::max(d, depth_of(child));
  return d + 1;
}

Status text_field(const json& body, const char* name, size_t max_bytes, bool required, std::optional<std::string>& out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) return Status::Invalid(fmt::format("{} is required", name), name);
    return Status::Ok();
  }
  if (!it->is_string()) return Status::Invalid(fmt::format("{} must be a string", name), name);
  const auto& s = it->get_ref<const std::string&>();
  if (required && s.empty()) return Status::Invalid(fmt::format("{} must not be empty", name), name);
  if (s.size() > max_bytes) return Status::Invalid(fmt::format("{} is longer than {} bytes", name, max_bytes), name);
  out = s;
  return Status::Ok();
}

}  // namespace

StatusOr<RecommendRequest> parse_recommend_request(std::string_view body) {
  auto parsed = parse_bounded_json(body, "request body", "body");
  if (!parsed.ok()) return parsed.status();
  return recommend_request_from_json(*parsed);
}

StatusOr<RecommendRequest> recommend_request_from_json(const json& body) {
  if (!body.is_object()) return Status::Invalid("the body must be a JSON object", "body");
  RecommendRequest r;
  std::optional<std::string> text, type;
  if (Status st = text_field(body, "task_description", ExecutionLimits::kMaxDescriptionBytes, true, text); !st.ok()) {
    return st;
  }
  r.task_description = std::move(*text);
  if (Status st = text_field(body, "task_type", ExecutionLimits::kMaxIdBytes, false, type); !st.ok()) return st;
  if (type && !type->empty()) r.task_type = std::move(type);
  if (auto it = body.find("context"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return Status::Invalid("context must be a JSON object", "context");
    if (depth_of(*it) > ExecutionLimits::kMaxObjectDepth) {
      return Status::Invalid(fmt::format("context is nested deeper than {} levels", ExecutionLimits::kMaxObjectDepth),
                             "context");
    }
    r.context_json = json_text(*it);
    if (r.context_json.size() > ExecutionLimits::kMaxObjectBytes) {
      return Status::Invalid(fmt::format("context is larger than {} bytes", ExecutionLimits::kMaxObjectBytes), "context");
    }
  }
  if (auto it = body.find("candidates"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return Status::Invalid("candidates must be an array of agent ids", "candidates");
    if (it->empty()) return Status::Invalid("candidates must name at least one agent (omit it for all)", "candidates");
    if (it->size() > RecommendLimits::kMaxCandidates) {
      return Status::Invalid(fmt::format("candidates holds more than {} agents", RecommendLimits::kMaxCandidates),
                             "candidates");
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < it->size(); ++i) {
      const json& c = (*it)[i];
      const std::string field = fmt::format("candidates[{}]", i);
      if (!c.is_string()) return Status::Invalid("must be an agent id (a string)", field);
      const auto& id = c.get_ref<const std::string&>();
      if (id.empty() || id.size() > ExecutionLimits::kMaxIdBytes) {
        return Status::Invalid(fmt::format("must be 1 to {} bytes", ExecutionLimits::kMaxIdBytes), field);
      }
      if (seen.insert(id).second) r.candidates.push_back(id);  // a repeated agent counts once
    }
  }
  if (auto it = body.find("top_k"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
        it->get<int64_t>() > static_cast<int64_t>(RecommendLimits::kMaxTopK)) {
      return Status::Invalid(fmt::format("top_k must be an integer from 1 to {}", RecommendLimits::kMaxTopK), "top_k");
    }
    r.top_k = it->get<size_t>();
  }
  if (auto it = body.find("objective"); it != body.end() && !it->is_null()) {
    auto objective = objective_from_json(*it);
    if (!objective.ok()) return objective.status();
    r.objective = *objective;
  }
  if (auto it = body.find("preview"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return Status::Invalid("preview must be true or false", "preview");
    r.preview = it->get<bool>();
  }
  return r;
}

namespace {
// One similar task as /tasks/similar and a recommendation's similar_tasks list it.
void write_similar_task(JsonWriter& w, const SimilarTask& t) {
  w.begin_object();
  w.member("task_id", t.task_id).member("task_description", t.description).member("similarity", t.similarity);
  w.member("total_executions", t.total_runs);
  w.key("executions").begin_array();
  for (const auto& run : t.runs) {
    w.begin_object();
    w.member("agent_id", run.agent_id).member("success", run.success).member("execution_time", run.execution_time);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void write_similar_tasks(JsonWriter& w, const std::vector<SimilarTask>& tasks) {
  w.begin_array();
  for (const auto& t : tasks) write_similar_task(w, t);
  w.end_array();
}
}  // namespace

std::string similar_answer_body(const SimilarAnswer& a) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("results");
  write_similar_tasks(w, a.results);
  w.member("embedding_version", a.embedding_version).member("source", a.source);
  if (!a.note.empty()) w.member("note", a.note);
  w.end_object();
  return out;
}

// Written field by field rather than through nlohmann::json: the answer is the hot path's
// output (24 candidates, ~6 KB), and building a json tree of it was an eighth of a
// recommendation's CPU with its allocations (perf, bench/load/learning.sh).
std::string recommend_answer_body(const RecommendAnswer& a) {
  std::string out;
  out.reserve(512 + 220 * a.candidates.size() + a.reasoning.size());
  JsonWriter w(out);
  w.begin_object();
  w.member("primary_agent", a.primary_agent);
  w.key("alternative_agents").begin_array();
  for (const auto& id : a.alternative_agents) w.string(id);
  w.end_array();
  w.member("confidence", a.confidence).member("reasoning", a.reasoning);
  w.key("task_category");
  if (a.category) {
    w.begin_object().member("label", *a.category).member("probability", a.category_probability).end_object();
  } else {
    w.null();
  }
  w.key("candidates").begin_array();
  for (const CandidateAnswer& c : a.candidates) {
    w.begin_object();
    w.member("agent_id", c.agent_id).member("success_probability", c.success_probability);
    w.member("predicted_execution_time", c.predicted_execution_time).member("predicted_cost", c.predicted_cost);
    w.member("score", c.score).member("samples", c.samples).member("within_limits", c.within_limits);
    w.end_object();
  }
  w.end_array();
  w.key("similar_tasks");
  write_similar_tasks(w, a.similar_tasks);
  w.member("model_version", a.model_version).member("policy", a.policy).member("mode", a.mode);
  w.member("explored", a.explored);
  w.member("propensity", a.propensity).member("model_choice", a.model_agent).member("rules_choice", a.rules_agent);
  w.member("fallback", a.fallback).member("preview", a.preview);
  w.key("recommendation_id");
  if (a.recommendation_id.empty()) {
    w.null();
  } else {
    w.string(a.recommendation_id);
  }
  w.end_object();
  return out;
}

std::string agent_profile_body(const AgentProfile& p) {
  std::string out;
  JsonWriter w(out);
  auto types = [&w](const std::vector<TypeRecord>& v) {
    w.begin_array();
    for (const auto& t : v) {
      w.begin_object().member("task_type", t.task_type).member("executions", t.runs);
      w.member("successes", t.successes).member("success_rate", t.success_rate);
      w.member("all_agents_success_rate", t.others_rate).end_object();
    }
    w.end_array();
  };
  w.begin_object().member("agent_id", p.agent_id);
  w.key("profile").begin_object();
  w.member("executions", p.runs).member("successes", p.successes).member("success_rate", p.success_rate);
  w.key("strengths");
  types(p.strengths);
  w.key("weaknesses");
  types(p.weaknesses);
  w.key("by_context").begin_array();
  for (const auto& c : p.by_context) {
    const double lift = c.success_rate - c.all_success_rate;
    w.begin_object().member("key", c.key).member("value", c.value).member("executions", c.runs);
    w.member("successes", c.successes).member("success_rate", c.success_rate);
    w.member("all_agents_executions", c.all_runs).member("all_agents_success_rate", c.all_success_rate);
    w.member("lift", lift).member("verdict", lift > 0 ? "strength" : (lift < 0 ? "weakness" : "even"));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  if (p.task) {
    const RecommendAnswer& a = *p.task;
    const bool take = a.primary_agent == p.agent_id;
    w.key("task").raw(recommend_answer_body(a));
    w.member("should_take", take).member("primary_agent", a.primary_agent);
    w.key("alternative_agents").begin_array();
    for (const auto& id : a.alternative_agents) w.string(id);
    w.end_array();
    w.member("confidence", a.confidence);
    w.member("reasoning", take ? fmt::format("{} should take this task. {}", p.agent_id, a.reasoning)
                               : fmt::format("{} should hand this task to {}. {}", p.agent_id, a.primary_agent,
                                             a.reasoning));
  }
  w.end_object();
  return out;
}

json training_job_json(const TrainingJob& job) {
  json j = {{"job_id", job.id},
            {"status", job.status},
            {"trigger", job.trigger},
            {"queued_at", job.queued_us ? json(format_rfc3339(job.queued_us)) : json(nullptr)},
            {"started_at", job.started_us ? json(format_rfc3339(job.started_us)) : json(nullptr)},
            {"finished_at", job.finished_us ? json(format_rfc3339(job.finished_us)) : json(nullptr)}};
  if (job.status == "succeeded" || job.status == "failed") {
    j["version"] = job.version.empty() ? json(nullptr) : json(job.version);
    j["promoted"] = job.promoted;
    j["reason"] = job.reason;
    auto summary = json::parse(job.summary_json, nullptr, false);
    j["models"] = summary.is_object() && summary.contains("models") ? summary["models"] : json::object();
  }
  return j;
}

json models_status_json(const ModelsStatus& s, const LearningOptions& options) {
  json active_summary = s.active ? json::parse(s.active->summary_json, nullptr, false) : json(nullptr);
  if (active_summary.is_discarded()) active_summary = nullptr;
  // Per model: the active set's figures and its versions in earlier sets.
  json models = json::array();
  for (const char* name : {"agent_selector", "performance_predictor", "task_classifier", "anomaly_detector",
                           "embedding_generator"}) {
    json m = {{"name", name}};
    if (active_summary.is_object() && active_summary["models"].contains(name)) {
      const json& a = active_summary["models"][name];
      m["algorithm"] = a.value("algorithm", "");
      m["active_version"] = a.value("version", "");
      m["model_set"] = s.active->version;
      m["trained_at"] = active_summary.value("trained_at", "");
      m["training_samples"] = a.value("training_samples", 0);
      m["training_seconds"] = a.value("training_seconds", 0.0);
      m["metrics"] = a.value("metrics", json::object());
      m["below_target"] = a.value("below_target", false);
      m["missing"] = a.contains("missing") ? a["missing"] : json(nullptr);
      m["parameters"] = a.value("parameters", json::object());
      m["target_metric"] = a.contains("target_metric") ? a["target_metric"] : json(nullptr);
    } else {
      m["active_version"] = nullptr;
    }
    // What the tree models learned from (sets trained before it was stored show null).
    if (std::string_view(name) == "agent_selector" || std::string_view(name) == "performance_predictor") {
      const bool stored = active_summary.is_object() && active_summary["models"].contains(name) &&
                          active_summary["models"][name].contains("feature_importance");
      m["feature_importance"] = stored ? active_summary["models"][name]["feature_importance"] : json(nullptr);
      if (std::string_view(name) == "performance_predictor") {
        m["feature_importance_cost"] = stored ? active_summary["models"][name].value("feature_importance_cost", json())
                                              : json(nullptr);
      }
    }
    json earlier = json::array();
    for (const auto& set : s.sets) {
      if (s.active && set.version == s.active->version) continue;
      auto sum = json::parse(set.summary_json, nullptr, false);
      if (!sum.is_object() || !sum["models"].contains(name)) continue;
      earlier.push_back({{"model_set", set.version},
                         {"version", sum["models"][name].value("version", "")},
                         {"metrics", sum["models"][name].value("metrics", json::object())},
                         {"rejected", set.rejected}});
    }
    m["earlier_versions"] = earlier;
    models.push_back(m);
  }
  json sets = json::array();
  for (const auto& set : s.sets) {
    auto sum = json::parse(set.summary_json, nullptr, false);
    sets.push_back({{"version", set.version},
                    {"created_at", format_rfc3339(set.created_us)},
                    {"status", set.rejected ? "rejected" : (s.active && set.version == s.active->version ? "active"
                                                                                                        : "accepted")},
                    {"reason", set.rejected ? json(set.reason) : json(nullptr)},
                    {"training_executions", sum.is_object() ? sum.value("training_executions", 0) : 0},
                    {"holdout_executions", sum.is_object() ? sum.value("holdout_executions", 0) : 0},
                    {"promotion", sum.is_object() && sum.contains("promotion") ? sum["promotion"] : json(nullptr)},
                    {"routing", sum.is_object() && sum.contains("routing") ? sum["routing"] : json(nullptr)},
                    {"policy_selection",
                     sum.is_object() && sum.contains("policy_selection") ? sum["policy_selection"] : json(nullptr)}});
  }
  // The policy the active set serves: how it was chosen on the training tasks, and how it and
  // every other policy did on the held-out tasks (null before a set is active, and for a set
  // trained before policies were chosen).
  json policy = nullptr;
  if (s.active) {
    policy = {{"model_set", s.active->version},
              {"served", s.active->policy ? json(s.active->policy->name()) : json(nullptr)},
              {"description", s.active->policy ? json(s.active->policy->description()) : json(nullptr)},
              {"selection", active_summary.is_object() && active_summary.contains("policy_selection")
                                ? active_summary["policy_selection"]
                                : json(nullptr)},
              {"held_out", active_summary.is_object() && active_summary.contains("routing") ? active_summary["routing"]
                                                                                             : json(nullptr)}};
  }
  json history = json::array();
  for (const auto& a : s.activations) {
    history.push_back({{"version", a.version}, {"activated_at", format_rfc3339(a.activated_us)}, {"reason", a.reason}});
  }
  const TrainingState& t = s.training;
  const uint64_t fresh = t.executions > t.snapshot_executions ? t.executions - t.snapshot_executions : 0;
  json training = {{"enabled", t.enabled},
                   {"running", t.running},
                   {"current_job", t.current ? training_job_json(*t.current) : json(nullptr)},
                   {"last_run", t.last ? training_job_json(*t.last) : json(nullptr)},
                   {"executions", t.executions},
                   {"new_samples_since_last_training", fresh},
                   {"retrain_threshold", t.retrain_threshold},
                   {"check_interval_seconds", static_cast<double>(options.check_interval.count()) / 1000},
                   {"min_training_executions", options.min_training_executions}};
  json online = nullptr;
  if (s.online) {
    const OnlineFigures& o = *s.online;
    online = {{"model_set", o.model_set},
              {"logged", o.logged},
              {"followed", o.followed},
              {"followed_since_start", o.followed_since_start},
              {"follow_rate", number(o.follow_rate)},
              {"took_recommended", o.took_recommended},
              {"decisions", o.decisions},
              {"matched", o.matched},
              {"logged_success_rate", number(o.logged_success_rate)},
              {"ips_success_rate", number(o.ips)},
              {"snips_success_rate", number(o.snips)},
              {"computed_at", format_rfc3339(o.computed_us)},
              {"max_age_seconds", s.online_max_age_seconds}};
  }
  return {{"active_model_set", s.active ? json(s.active->version) : json(nullptr)},
          {"online", online},
          {"activated_at", s.active ? json(format_rfc3339(s.active->activated_us)) : json(nullptr)},
          {"model_accuracy_target", options.model_accuracy_target},
          {"models", models},
          {"model_sets", sets},
          {"routing_policy", policy},
          {"activation_history", history},
          {"training", training}};
}

json anomalies_json(const std::vector<StoredRow>& rows, const std::vector<AnomalyExplanation>& why) {
  json out = json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    const StoredRow& r = rows[i];
    const Execution& e = r.execution;
    json reasons = json::array();
    const AnomalyExplanation* x = i < why.size() && !why[i].why.empty() ? &why[i] : nullptr;
    if (x) {
      for (const auto& reason : x->reasons) {
        reasons.push_back({{"feature", reason.feature},
                           {"value", number(reason.value)},
                           {"typical", number(reason.typical)},
                           {"ratio", number(reason.ratio)},
                           {"baseline", reason.baseline}});
      }
    }
    out.push_back({{"id", r.id},
                   {"execution_id", optional(e.execution_id)},
                   {"agent_id", e.agent_id},
                   {"task_id", e.task_id},
                   {"task_type", optional(e.task_type)},
                   {"execution_time", e.execution_time},
                   {"success", e.success},
                   {"cost_usd", optional(e.cost_usd)},
                   {"timestamp", format_rfc3339(e.timestamp_us)},
                   {"anomaly_score", optional(r.anomaly_score)},
                   {"anomaly", r.anomaly.value_or(false)},
                   {"why", x ? json(x->why) : json(nullptr)},
                   {"reasons", reasons}});
  }
  return {{"anomalies", out}, {"count", rows.size()}};
}

json mode_json(const ModeSetting& setting, LearningMode effective) {
  return {{"mode", mode_name(effective)},
          {"configured_mode", setting.mode ? json(mode_name(*setting.mode)) : json(nullptr)},
          {"exploration_rate", setting.exploration_rate},
          {"modes", {"rules", "apprentice", "online", "exploit"}}};
}

}  // namespace agentlearn::http
