#include "ml/xgboost_model.hpp"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "ml/byte_io.hpp"

namespace agentlearn::ml {

namespace {

constexpr std::string_view kMagic = "AL-XGBOOST";
constexpr uint32_t kFormat = 1;

Status xgb_error(std::string_view what) {
  return Status::Internal(std::string(what) + ": " + XGBGetLastError());
}

void quiet_xgboost_once() {
  static std::once_flag once;
  std::call_once(once, [] { XGBSetGlobalConfig("{\"verbosity\": 0}"); });
}

// Owns a DMatrixHandle for the duration of a training call.
struct DMatrixGuard {
  DMatrixHandle h = nullptr;
  ~DMatrixGuard() {
    if (h) XGDMatrixFree(h);
  }
};

// Owns a BoosterHandle until released into an XgbModel.
struct BoosterGuard {
  BoosterHandle h = nullptr;
  ~BoosterGuard() {
    if (h) XGBoosterFree(h);
  }
  BoosterHandle release() { return std::exchange(h, nullptr); }
};

}  // namespace

XgbModel::XgbModel(XgbModel&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)), features_(std::exchange(o.features_, 0)), trees_(std::move(o.trees_)) {
  o.trees_.reset();
}

XgbModel& XgbModel::operator=(XgbModel&& o) noexcept {
  if (this != &o) {
    if (handle_) XGBoosterFree(handle_);
    handle_ = std::exchange(o.handle_, nullptr);
    features_ = std::exchange(o.features_, 0);
    trees_ = std::move(o.trees_);
    o.trees_.reset();
  }
  return *this;
}

XgbModel::~XgbModel() {
  if (handle_) XGBoosterFree(handle_);
}

StatusOr<XgbModel> XgbModel::train(const DenseMatrix& x, std::span<const float> y, const XgbParams& params,
                                   std::span<const float> weights) {
  if (x.rows() == 0 || x.cols() == 0) return Status::Invalid("no training rows");
  if (y.size() != x.rows()) return Status::Invalid("one target per row is required");
  if (!weights.empty() && weights.size() != x.rows()) return Status::Invalid("one weight per row is required");
  for (float v : y) {
    if (!std::isfinite(v)) return Status::Invalid("training targets must be finite");
  }
  if (params.rounds < 1 || params.rounds > 100000) return Status::Invalid("rounds must be in 1..100000");
  quiet_xgboost_once();

  DMatrixGuard dm;
  if (XGDMatrixCreateFromMat(x.data(), x.rows(), x.cols(), kMissing, &dm.h) != 0) return xgb_error("DMatrix");
  if (XGDMatrixSetFloatInfo(dm.h, "label", y.data(), y.size()) != 0) return xgb_error("labels");
  if (!weights.empty() && XGDMatrixSetFloatInfo(dm.h, "weight", weights.data(), weights.size()) != 0) {
    return xgb_error("weights");
  }
  BoosterGuard booster;
  if (XGBoosterCreate(&dm.h, 1, &booster.h) != 0) return xgb_error("booster");
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  int threads = std::clamp(params.threads, 1, static_cast<int>(cores));
  auto set = [&](const std::string& k, const std::string& v) -> Status {
    if (XGBoosterSetParam(booster.h, k.c_str(), v.c_str()) != 0) return xgb_error("parameter " + k);
    return {};
  };
  if (auto st = set("nthread", std::to_string(threads)); !st.ok()) return st;
  if (auto st = set("seed", std::to_string(params.seed % 2147483647)); !st.ok()) return st;
  for (const auto& [k, v] : params.booster) {
    if (auto st = set(k, v); !st.ok()) return Status::Invalid(st.message());
  }
  for (int i = 0; i < params.rounds; ++i) {
    if (XGBoosterUpdateOneIter(booster.h, i, dm.h) != 0) return xgb_error("training");
  }
  // Serving predicts a handful of rows per call: one thread.
  if (auto st = set("nthread", "1"); !st.ok()) return st;
  XgbModel m;
  m.handle_ = booster.release();
  m.features_ = x.cols();
  m.compile_trees();
  return m;
}

void XgbModel::compile_trees() {
  trees_.reset();
  bst_ulong len = 0;
  const char* buf = nullptr;
  if (XGBoosterSaveModelToBuffer(handle_, "{\"format\": \"json\"}", &len, &buf) != 0) return;
  auto trees = TreeEnsemble::from_xgboost_json(std::string_view(buf, len));
  if (trees.ok() && trees->feature_count() == features_) trees_.emplace(std::move(*trees));
}

Status XgbModel::predict(const float* data, size_t rows, size_t cols, std::vector<float>& out) const {
  if (!trees_) return predict_with_xgboost(data, rows, cols, out);
  out.clear();
  if (cols != features_) {
    return Status::Internal("expected " + std::to_string(features_) + " features, got " + std::to_string(cols));
  }
  out.resize(rows);
  trees_->predict(data, rows, out.data());
  return {};
}

Status XgbModel::predict_with_xgboost(const float* data, size_t rows, size_t cols, std::vector<float>& out) const {
  out.clear();
  if (!handle_) return Status::Internal("model is not trained");
  if (cols != features_) {
    return Status::Internal("expected " + std::to_string(features_) + " features, got " + std::to_string(cols));
  }
  if (rows == 0) return {};
  // In-place prediction from the caller's buffer: no DMatrix is built (that costs ~20 us).
  char values[256];
  std::snprintf(values, sizeof values,
                "{\"data\": [%llu, true], \"shape\": [%zu, %zu], \"typestr\": \"<f4\", \"version\": 3}",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(data)), rows, cols);
  static constexpr const char* kConfig =
      "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false, "
      "\"missing\": NaN, \"cache_id\": 0}";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  if (XGBoosterPredictFromDense(handle_, values, kConfig, nullptr, &shape, &dim, &result) != 0) {
    return xgb_error("prediction");
  }
  out.assign(result, result + rows);
  return {};
}

StatusOr<std::vector<float>> XgbModel::predict(const DenseMatrix& x) const {
  std::vector<float> out;
  if (auto st = predict(x.data(), x.rows(), x.cols(), out); !st.ok()) return st;
  return out;
}

std::string XgbModel::serialize() const {
  ByteWriter w(kMagic, kFormat);
  w.put<uint64_t>(features_);
  bst_ulong len = 0;
  const char* buf = nullptr;
  if (handle_ && XGBoosterSaveModelToBuffer(handle_, "{\"format\": \"ubj\"}", &len, &buf) == 0) {
    w.put_string(std::string_view(buf, len));
  } else {
    w.put_string("");
  }
  return std::move(w).take();
}

StatusOr<XgbModel> XgbModel::deserialize(std::string_view blob) {
  ByteReader r(blob, kMagic, kFormat, kFormat);
  auto features = r.get<uint64_t>();
  std::string model = r.get_string();
  if (auto st = r.finish(); !st.ok()) return st;
  if (model.empty() || features == 0 || features > (1u << 20)) return Status::Invalid("XGBoost blob holds no model");
  quiet_xgboost_once();
  BoosterGuard booster;
  if (XGBoosterCreate(nullptr, 0, &booster.h) != 0) return xgb_error("booster");
  if (XGBoosterLoadModelFromBuffer(booster.h, model.data(), model.size()) != 0) {
    return Status::Invalid(std::string("XGBoost blob is corrupt: ") + XGBGetLastError());
  }
  if (XGBoosterSetParam(booster.h, "nthread", "1") != 0) return xgb_error("parameter nthread");
  bst_ulong num_feature = 0;
  if (XGBoosterGetNumFeature(booster.h, &num_feature) != 0) return xgb_error("feature count");
  if (num_feature != features) return Status::Invalid("XGBoost blob: feature count mismatch");
  XgbModel m;
  m.handle_ = booster.release();
  m.features_ = features;
  m.compile_trees();
  return m;
}

bool omp_wait_policy_is_passive() {
  const char* v = std::getenv("OMP_WAIT_POLICY");
  return v && (std::strcmp(v, "passive") == 0 || std::strcmp(v, "PASSIVE") == 0);
}

}  // namespace agentlearn::ml
