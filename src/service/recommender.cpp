#include "service/recommender.hpp"

#include <fmt/format.h>

#include <cmath>
#include <random>

#include "core/time.hpp"
#include "ml/exploration.hpp"

namespace agentlearn {

namespace {

uint64_t random_bits() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

std::string percent(double p) { return fmt::format("{:.0f}%", 100 * p); }

std::string type_phrase(const std::string& type) { return type.empty() ? "all tasks" : type + " tasks"; }

// "predicted 34 s and $0.41" (what is known of the candidate's time and cost).
std::string prediction_phrase(const CandidateAnswer& c) {
  std::string out;
  if (c.predicted_execution_time) out = fmt::format("predicted {:.3g} s", *c.predicted_execution_time);
  if (c.predicted_cost) out += fmt::format("{}${:.3g}", out.empty() ? "predicted " : " and ", *c.predicted_cost);
  return out;
}

std::string objective_phrase(const ml::Objective& o) {
  std::vector<std::string> parts;
  if (o.cost_weight > 0) parts.push_back(fmt::format("{:g} per predicted USD", o.cost_weight));
  if (o.relative_cost_weight > 0) {
    parts.push_back(fmt::format("{:g} per the likeliest agent's typical cost", o.relative_cost_weight));
  }
  if (o.time_weight > 0) parts.push_back(fmt::format("{:g} per predicted second", o.time_weight));
  std::string out;
  if (o.max_quality_loss) {
    out = fmt::format(" the cheapest within {:g} of the best estimated success first, then", *o.max_quality_loss);
  }
  if (!parts.empty()) {
    out += " ranked by success probability less " + parts[0];
    for (size_t i = 1; i < parts.size(); ++i) out += (i + 1 == parts.size() ? " and " : ", ") + parts[i];
  } else if (o.max_quality_loss) {
    out += " by success probability";
  }
  if (o.max_cost) out += fmt::format("{} with predicted cost at most ${:g}", out.empty() ? "" : ",", *o.max_cost);
  if (o.max_time) out += fmt::format("{} with predicted time at most {:g} s", out.empty() ? "" : ",", *o.max_time);
  return out;
}

// "chosen over 4 others on its training tasks: 0.746 against the next best's 0.742 (paired
// standard error 0.004)": why the set serves its policy, in the figures of its selection.
std::string served_policy_phrase(const ActiveModels& active) {
  const ml::PolicySelection& s = active.set->policy_selection();
  const ml::PolicyScore* served = s.score_of(s.served);
  if (s.folds == 0 || !served) return "the set predates policy selection";
  const ml::PolicyScore* next = nullptr;
  for (const auto& p : s.scores) {
    if (p.policy != s.served && (!next || p.success > next->success)) next = &p;
  }
  if (!next) return fmt::format("{:.3f} out-of-fold success on its training tasks", served->success);
  return fmt::format("chosen on its training tasks out-of-fold: {:.3f} success against {:.3f} for {}, paired standard "
                     "error {:.3f}",
                     served->success, next->success, next->policy, next->difference_se);
}

}  // namespace

std::string new_recommendation_id() {
  return fmt::format("rec_{:016x}{:08x}", random_bits(), static_cast<uint32_t>(random_bits()));
}

Recommender::Recommender(const AgentRules& rules, const ModelRegistry& models, const ModeSwitch& modes,
                         RecommendationLog* log, size_t plausible_agents, metrics::Registry& registry,
                         size_t max_agent_labels)
    : rules_(rules),
      models_(models),
      modes_(modes),
      log_(log),
      plausible_(plausible_agents),
      predictions_(registry.counter("learning_predictions_total",
                                    "Recommendations answered, by recommended agent and by what ranked it "
                                    "(agent_selector or rules)",
                                    {"agent", "model"})),
      agent_labels_(max_agent_labels),
      apprentice_decisions_(
          registry.counter("apprentice_decisions_total", "Recommendations answered in apprentice mode").labels()),
      apprentice_agreements_(registry
                                 .counter("apprentice_agreements_total",
                                          "Apprentice-mode recommendations where the models chose what the rules chose")
                                 .labels()),
      explorations_(registry.counter("recommendation_explorations_total",
                                     "Online-mode recommendations that explored another plausible agent")
                        .labels()) {}

void Recommender::count_prediction(std::string_view agent, bool known_agent, bool by_models) const {
  // Agents named only in requests, and agents past the cap, are counted as "other": clients
  // must not be able to grow the metric's label set without bound.
  predictions_
      .labels({known_agent ? agent_labels_.admit(agent) : metrics::kOtherLabel, by_models ? "agent_selector" : "rules"})
      .inc();
}

StatusOr<RecommendAnswer> Recommender::recommend(const RecommendRequest& req) const {
  const std::shared_ptr<const ActiveModels> active = models_.active();  // this request's set
  const ModeSetting setting = modes_.get();
  const LearningMode mode = setting.effective(active != nullptr);

  RecommendAnswer out;
  out.mode = mode_name(mode);
  out.preview = req.preview;
  std::vector<std::string> candidates = req.candidates;
  if (candidates.empty()) candidates = rules_.read([](const ml::SuccessRules& r) { return r.agents(); });
  if (candidates.empty()) {
    return Status::Conflict("no agents are known yet: record executions first, or name the candidates", "candidates");
  }

  // The models' estimates, when a set is active and answers.
  std::optional<ml::TaskEstimate> estimate;
  std::string fallback_reason;
  if (!active) {
    fallback_reason = "no model set is active yet";
  } else {
    ml::TaskQuery q{req.task_description, req.task_type ? std::string_view(*req.task_type) : std::string_view(),
                    req.context_json};
    auto est = active->set->estimate(q, candidates);
    if (est.ok()) {
      estimate = std::move(*est);
      out.model_version = active->version;
      if (!estimate->category.empty()) {
        out.category = estimate->category;
        out.category_probability = estimate->category_probability;
      }
    } else {
      fallback_reason = "the models failed (" + est.status().message() + ")";
    }
  }
  const std::string type = req.task_type ? *req.task_type : out.category.value_or("");

  // Every candidate as the rules and (if available) the models see it.
  std::vector<CandidateAnswer> all(candidates.size());
  std::vector<ml::CandidateScoreInput> by_rules(candidates.size()), by_models;
  std::vector<char> known(candidates.size());  // seen in executions (bounds the metric's labels)
  rules_.read([&](const ml::SuccessRules& r) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      all[i].agent_id = candidates[i];
      known[i] = r.knows(candidates[i]);
      all[i].samples = r.samples(candidates[i], type);
      const ml::SuccessRules::Estimate e = r.estimate(candidates[i], type);
      by_rules[i] = {e.success_probability, e.time, e.cost, r.estimate(candidates[i], "").cost};
      all[i].success_probability = by_rules[i].success_probability;
    }
    return 0;
  });
  if (estimate) {
    // The set's served policy estimates every candidate; the objective ranks them.
    by_models = active->policy->estimate(*estimate);
    out.policy = active->policy->name();
    for (size_t i = 0; i < candidates.size(); ++i) {
      all[i].success_probability = by_models[i].success_probability;
      if (std::isfinite(by_models[i].predicted_time)) all[i].predicted_execution_time = by_models[i].predicted_time;
      if (std::isfinite(by_models[i].predicted_cost)) all[i].predicted_cost = by_models[i].predicted_cost;
    }
  }
  const auto rules_ranked = ml::rank_candidates(by_rules, req.objective);
  out.rules_agent = candidates[rules_ranked.front().index];
  std::vector<ml::RankedCandidate> model_ranked;
  if (estimate) {
    model_ranked = ml::rank_candidates(by_models, req.objective);
    out.model_agent = candidates[model_ranked.front().index];
  }

  // The learning mode decides whose ranking is answered.
  const bool use_models = estimate && (mode == LearningMode::kOnline || mode == LearningMode::kExploit);
  out.fallback = !estimate;
  std::vector<ml::RankedCandidate> ranked = use_models ? model_ranked : rules_ranked;
  size_t chosen = 0;  // position in `ranked`
  if (use_models && mode == LearningMode::kOnline && !req.preview) {
    ml::ExplorationChoice c = ml::epsilon_greedy(ranked.size(), setting.exploration_rate, plausible_, random_bits());
    chosen = c.position;
    out.propensity = c.propensity;
    out.explored = c.explored;
    if (c.explored) explorations_.inc();
  }
  if (mode == LearningMode::kApprentice && estimate && !req.preview) {
    apprentice_decisions_.inc();
    if (*out.model_agent == out.rules_agent) apprentice_agreements_.inc();
  }
  if (chosen != 0) std::rotate(ranked.begin(), ranked.begin() + static_cast<ptrdiff_t>(chosen),
                               ranked.begin() + static_cast<ptrdiff_t>(chosen) + 1);
  out.candidates.reserve(ranked.size());
  for (const auto& r : ranked) {
    CandidateAnswer c = all[r.index];
    // The estimates the answer was ranked by: the served policy's when it chose, else the rules'.
    if (!use_models) {
      const ml::CandidateScoreInput& e = by_rules[r.index];
      c.success_probability = e.success_probability;
      c.predicted_execution_time = std::isfinite(e.predicted_time) ? std::optional<double>(e.predicted_time) : std::nullopt;
      c.predicted_cost = std::isfinite(e.predicted_cost) ? std::optional<double>(e.predicted_cost) : std::nullopt;
    }
    c.score = r.score;
    c.within_limits = r.within_limits;
    out.candidates.push_back(std::move(c));
  }
  const CandidateAnswer& primary = out.candidates.front();
  out.primary_agent = primary.agent_id;
  for (size_t i = 1; i < out.candidates.size() && out.alternative_agents.size() + 1 < req.top_k; ++i) {
    out.alternative_agents.push_back(out.candidates[i].agent_id);
  }
  out.confidence = std::clamp(primary.success_probability, 0.0, 1.0);
  // Previews are not predictions: they are neither logged nor counted.
  if (!req.preview) count_prediction(out.primary_agent, known[ranked.front().index], use_models);

  // The sentence: what chose, on what evidence.
  const double rules_rate = by_rules[ranked.front().index].success_probability;
  std::string evidence = fmt::format("{} has {} past runs of {} with a smoothed success rate of {}", primary.agent_id,
                                     primary.samples, type_phrase(type), percent(rules_rate));
  std::string next;
  if (out.candidates.size() > 1) {
    const CandidateAnswer& second = out.candidates[1];
    next = fmt::format(" Next best: {} at {}.", second.agent_id, percent(second.success_probability));
  }
  std::string predicted = prediction_phrase(primary);
  if (!predicted.empty()) predicted = "; " + predicted;
  std::string objective = objective_phrase(req.objective);
  if (!primary.within_limits) objective += " (no candidate is predicted within the limits; this is the closest)";
  if (use_models) {
    std::string choice = out.explored
                             ? fmt::format("Explored {} (online mode picks one of the top {} with probability {:.3g}; "
                                           "the models' first choice was {})",
                                           primary.agent_id, std::min(plausible_, ranked.size()), out.propensity,
                                           *out.model_agent)
                             : fmt::format("Recommended {}", primary.agent_id);
    out.reasoning = fmt::format("{}: {} estimated success by the {} policy of model set {} ({}){}{}; {}.{}", choice,
                                percent(primary.success_probability), *out.policy, active->version,
                                served_policy_phrase(*active), objective, predicted, evidence, next);
  } else if (mode == LearningMode::kApprentice && estimate) {
    out.reasoning = fmt::format(
        "Apprentice mode: the rules chose {} ({}){}; the {} policy of set {} would choose {} at {} estimated success{}.",
        primary.agent_id, evidence, objective, *out.policy, active->version, *out.model_agent,
        percent(by_models[model_ranked.front().index].success_probability),
        *out.model_agent == primary.agent_id ? ", the same agent" : "");
  } else {
    std::string why = estimate ? fmt::format("{} mode", out.mode) : fallback_reason;
    out.reasoning = fmt::format("Chosen by the rules because {}: {}{}{}.{}", why, evidence, objective, predicted, next);
  }

  if (req.preview) return out;
  out.recommendation_id = new_recommendation_id();
  if (log_) {
    RecommendationLogRow row;
    row.recommendation_id = out.recommendation_id;
    row.created_us = now_us();
    row.mode = out.mode;
    row.model_version = out.model_version.value_or("");
    row.chosen_agent = out.primary_agent;
    row.model_agent = out.model_agent.value_or("");
    row.rules_agent = out.rules_agent;
    row.propensity = out.propensity;
    row.explored = out.explored;
    log_->add(std::move(row));
  }
  return out;
}

}  // namespace agentlearn
