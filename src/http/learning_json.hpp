#pragma once
// JSON for the learning endpoints: the recommend request, validated with the field to blame,
// and the answers of recommend, agent recommendations, model status, anomalies, training jobs
// and the learning mode. The CLI's `--db` commands print the same JSON as the server answers.
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/status.hpp"
#include "service/learning_api.hpp"

namespace agentlearn::http {

struct RecommendLimits {
  static constexpr size_t kMaxCandidates = 1000;
  static constexpr size_t kMaxTopK = 1000;
};

// POST /task/recommend's body. Unknown members are ignored, as for executions.
StatusOr<RecommendRequest> parse_recommend_request(std::string_view body);
// The same from an already parsed object (the CLI builds one from flags).
StatusOr<RecommendRequest> recommend_request_from_json(const nlohmann::json& body);

// The answer as the response body (the hot path).
std::string recommend_answer_body(const RecommendAnswer& a);
// GET /tasks/similar: {"results":[...], "embedding_version", "source"}.
std::string similar_answer_body(const SimilarAnswer& a);
// GET /agents/{id}/profile: the profile and, with a task, who should take it.
std::string agent_profile_body(const AgentProfile& p);
nlohmann::json models_status_json(const ModelsStatus& s, const LearningOptions& options);
nlohmann::json training_job_json(const TrainingJob& job);
// `why[i]` explains rows[i] (entries without one show why null and no reasons).
nlohmann::json anomalies_json(const std::vector<StoredRow>& rows, const std::vector<AnomalyExplanation>& why = {});
nlohmann::json mode_json(const ModeSetting& setting, LearningMode effective);

}  // namespace agentlearn::http
