#include "ml/anomaly_detector.hpp"

#include <algorithm>
#include <cmath>

#include "ml/byte_io.hpp"
#include "ml/outcome_scale.hpp"
#include "ml/tokenizer.hpp"

namespace agentlearn::ml {

namespace {
constexpr std::string_view kMagic = "AL-ANOMALY";
constexpr uint32_t kFormat = 1;

uint64_t agent_key(std::string_view agent) { return stable_hash64(agent, 11); }
uint64_t agent_type_key(std::string_view agent, std::string_view type) {
  return stable_hash64(type, agent_key(agent));
}
}  // namespace

AnomalyDetector::Baseline AnomalyDetector::baseline(uint64_t key, const Baseline& parent) const {
  auto it = tallies_.find(key);
  if (it == tallies_.end()) return parent;
  const OutcomeTally& t = it->second;
  const double m = params_.smoothing;
  Baseline b;
  b.log_time = static_cast<float>((t.sum_log_time + m * parent.log_time) / (t.time_runs + m));
  if (std::isnan(parent.log_cost)) {
    b.log_cost = t.cost_runs > 0 ? static_cast<float>(t.sum_log_cost / t.cost_runs) : kMissing;
  } else {
    b.log_cost = static_cast<float>((t.sum_log_cost + m * parent.log_cost) / (t.cost_runs + m));
  }
  return b;
}

bool AnomalyDetector::has_history(const Execution& e) const {
  if (!tallies_.count(agent_key(e.agent_id))) return false;
  return !e.task_type || tallies_.count(agent_type_key(e.agent_id, *e.task_type)) > 0;
}

void AnomalyDetector::features(const Execution& e, std::span<float> out) const {
  const float lt = static_cast<float>(log_time(e.execution_time));
  const float lc = e.cost_usd ? static_cast<float>(log_cost(*e.cost_usd)) : kMissing;
  Baseline agent = baseline(agent_key(e.agent_id), global_);
  Baseline agent_type = e.task_type ? baseline(agent_type_key(e.agent_id, *e.task_type), agent) : agent;
  out[0] = lt;
  out[1] = lc;
  out[2] = e.success ? 1.f : 0.f;
  out[3] = lt - agent.log_time;
  out[4] = lc - agent.log_cost;  // NaN when either is unknown
  out[5] = lt - agent_type.log_time;
  out[6] = lc - agent_type.log_cost;
}

std::vector<std::string> AnomalyDetector::feature_names() {
  return {"log_time", "log_cost", "success", "log_time_vs_agent", "log_cost_vs_agent", "log_time_vs_agent_type",
          "log_cost_vs_agent_type"};
}

StatusOr<AnomalyDetector> AnomalyDetector::train(std::span<const Execution> rows, const AnomalyDetectorParams& p) {
  if (rows.empty()) return Status::Invalid("no training rows for the anomaly detector");
  if (!(p.contamination > 0 && p.contamination < 0.5)) return Status::Invalid("contamination must be in (0, 0.5)");
  if (!(p.smoothing >= 0)) return Status::Invalid("smoothing must be >= 0");
  AnomalyDetector d;
  d.params_ = p;
  OutcomeTally global;
  for (const auto& e : rows) {
    global.add(e.success, e.execution_time, e.cost_usd);
    d.tallies_[agent_key(e.agent_id)].add(e.success, e.execution_time, e.cost_usd);
    if (e.task_type) d.tallies_[agent_type_key(e.agent_id, *e.task_type)].add(e.success, e.execution_time, e.cost_usd);
  }
  d.global_.log_time = global.time_runs > 0 ? static_cast<float>(global.sum_log_time / global.time_runs) : 0.f;
  d.global_.log_cost = global.cost_runs > 0 ? static_cast<float>(global.sum_log_cost / global.cost_runs) : kMissing;

  DenseMatrix x(rows.size(), kFeatureCount);
  for (size_t i = 0; i < rows.size(); ++i) d.features(rows[i], x.row(i));
  auto forest = IsolationForest::train(x, p.forest);
  if (!forest.ok()) return forest.status();
  d.forest_.emplace(std::move(*forest));

  std::vector<double> scores = d.forest_->score_batch(x);
  std::sort(scores.begin(), scores.end());
  size_t at = static_cast<size_t>(std::floor((1.0 - p.contamination) * static_cast<double>(scores.size() - 1)));
  d.threshold_ = scores[std::min(at, scores.size() - 1)];
  return d;
}

double AnomalyDetector::score(const Execution& e) const {
  float f[kFeatureCount];
  features(e, f);
  return forest_->score(f);
}

std::string AnomalyDetector::serialize() const {
  ByteWriter w(kMagic, kFormat);
  w.put<double>(params_.contamination);
  w.put<double>(params_.smoothing);
  w.put<double>(threshold_);
  w.put<float>(global_.log_time);
  w.put<float>(global_.log_cost);
  std::vector<std::pair<uint64_t, OutcomeTally>> sorted(tallies_.begin(), tallies_.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  w.put<uint64_t>(sorted.size());
  for (const auto& [k, t] : sorted) {
    w.put<uint64_t>(k);
    t.write(w);
  }
  w.put_string(forest_->serialize());
  return std::move(w).take();
}

StatusOr<AnomalyDetector> AnomalyDetector::deserialize(std::string_view blob) {
  ByteReader r(blob, kMagic, kFormat, kFormat);
  AnomalyDetector d;
  d.params_.contamination = r.get<double>();
  d.params_.smoothing = r.get<double>();
  d.threshold_ = r.get<double>();
  d.global_.log_time = r.get<float>();
  d.global_.log_cost = r.get<float>();
  auto n = r.get<uint64_t>();
  if (n > r.remaining() / (8 + OutcomeTally::kSerializedBytes)) r.fail("table larger than the blob");
  for (uint64_t i = 0; r.ok() && i < n; ++i) {
    uint64_t k = r.get<uint64_t>();
    d.tallies_[k] = OutcomeTally::read(r);
  }
  std::string forest = r.get_string();
  if (auto st = r.finish(); !st.ok()) return st;
  auto f = IsolationForest::deserialize(forest);
  if (!f.ok()) return f.status();
  if (f->feature_count() != kFeatureCount) return Status::Invalid("anomaly blob: forest has the wrong feature count");
  d.forest_.emplace(std::move(*f));
  return d;
}

}  // namespace agentlearn::ml
