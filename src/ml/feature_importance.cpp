#include "ml/feature_importance.hpp"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cstdlib>

#include "ml/byte_io.hpp"

namespace agentlearn::ml {

namespace {

constexpr const char* kImportance = "total_gain";

// Owns a booster loaded for one importance query.
struct Booster {
  BoosterHandle h = nullptr;
  ~Booster() {
    if (h) XGBoosterFree(h);
  }
};

// XGBoost's total gain per column of the model in an XgbModel blob ("AL-XGBOOST": the
// column count, then XGBoost's own UBJSON model). The models are read through their
// serialized form, the one stable view of them, so their classes need no accessor for it.
StatusOr<std::vector<double>> gains_of_xgb_blob(std::string_view blob) {
  ByteReader r(blob, "AL-XGBOOST", 1, 1);
  const uint64_t columns = r.get<uint64_t>();
  const std::string model = r.get_string();
  if (auto st = r.finish(); !st.ok()) return st;
  if (model.empty() || columns == 0 || columns > (1u << 20)) return Status::Invalid("the blob holds no model");
  Booster b;
  if (XGBoosterCreate(nullptr, 0, &b.h) != 0 || XGBoosterLoadModelFromBuffer(b.h, model.data(), model.size()) != 0) {
    return Status::Internal(std::string("cannot load the booster: ") + XGBGetLastError());
  }
  const std::string config = std::string("{\"importance_type\": \"") + kImportance + "\"}";
  bst_ulong n = 0, dim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  if (XGBoosterFeatureScore(b.h, config.c_str(), &n, &names, &dim, &shape, &scores) != 0) {
    return Status::Internal(std::string("feature scores: ") + XGBGetLastError());
  }
  // Without feature names XGBoost calls column i "f<i>" and lists only the columns split on.
  std::vector<double> out(columns, 0.0);
  for (bst_ulong i = 0; i < n; ++i) {
    const char* name = names[i];
    if (name[0] != 'f') continue;
    char* end = nullptr;
    const unsigned long col = std::strtoul(name + 1, &end, 10);
    if (end == name + 1 || *end != '\0' || col >= out.size()) continue;
    out[col] = static_cast<double>(scores[i]);
  }
  return out;
}

}  // namespace

std::vector<FeatureGain> top_features(const std::vector<std::string>& names, const std::vector<double>& gains,
                                      size_t limit) {
  std::vector<FeatureGain> out;
  for (size_t i = 0; i < gains.size() && i < names.size(); ++i) {
    if (gains[i] > 0) out.push_back({names[i], gains[i]});
  }
  std::stable_sort(out.begin(), out.end(), [](const FeatureGain& a, const FeatureGain& b) { return a.gain > b.gain; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

StatusOr<std::vector<FeatureGain>> selector_importance(const ModelSet& set, size_t limit) {
  const std::string blob = set.agent_selector().serialize();
  ByteReader r(blob, "AL-SELECTOR", 1, 1);
  r.get<int32_t>();  // n_estimators, max_depth
  r.get<int32_t>();
  r.get<double>();  // subsample, colsample_bynode, min_child_weight
  r.get<double>();
  r.get<double>();
  r.get<uint64_t>();  // seed
  const std::string model = r.get_string();
  if (auto st = r.finish(); !st.ok()) return st;
  auto gains = gains_of_xgb_blob(model);
  if (!gains.ok()) return gains.status();
  const std::vector<std::string> all = set.features().names();
  std::vector<std::string> names;
  for (size_t c : set.features().selector_columns()) names.push_back(c < all.size() ? all[c] : "column " + std::to_string(c));
  if (names.size() != gains->size()) return Status::Internal("the selector's columns do not match its features");
  return top_features(names, *gains, limit);
}

StatusOr<std::vector<FeatureGain>> predictor_importance(const ModelSet& set, bool cost, size_t limit) {
  const std::string blob = set.performance_predictor().serialize();
  ByteReader r(blob, "AL-PREDICTOR", 1, 1);
  r.get<int32_t>();  // n_estimators
  r.get<double>();   // learning_rate
  r.get<int32_t>();  // max_depth
  r.get<double>();   // subsample
  r.get<uint64_t>(); // seed
  const std::string time = r.get_string();
  const std::string cost_model = r.get_string();
  if (auto st = r.finish(); !st.ok()) return st;
  if (cost && cost_model.empty()) return std::vector<FeatureGain>{};
  auto gains = gains_of_xgb_blob(cost ? cost_model : time);
  if (!gains.ok()) return gains.status();
  const std::vector<std::string> names = set.features().names();
  if (names.size() != gains->size()) return Status::Internal("the predictor's columns do not match its features");
  return top_features(names, *gains, limit);
}

}  // namespace agentlearn::ml
