#include "ml/model_params.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <variant>

namespace agentlearn::ml {

namespace {

using Slot = std::variant<int*, double*, bool*, uint64_t*, std::string*>;
struct Entry {
  const char* model;
  const char* name;
  Slot slot;
  // A text parameter's allowed values; null for numbers and flags.
  const std::vector<std::string>* choices = nullptr;
};

// The one list of settable parameters. Const-ness is cast away only to share the table
// between the setter and the lister; the lister never writes.
std::vector<Entry> table(ModelParams& p) {
  auto& f = p.features;
  auto& e = p.embedding_generator;
  auto& c = p.task_classifier;
  auto& s = p.agent_selector;
  auto& r = p.performance_predictor;
  auto& a = p.anomaly_detector;
  return {
      {"features", "smoothing", &f.smoothing},
      {"features", "max_context_keys", &f.max_context_keys},
      {"features", "text_dimensions", &f.text_dimensions},
      {"features", "training_folds", &f.training_folds},
      {"features", "text_clusters", &f.text_clusters},
      {"embedding_generator", "method", &e.method, &embedding_methods()},
      {"embedding_generator", "vector_size", &e.dimensions},
      {"embedding_generator", "seed", &e.seed},
      {"embedding_generator", "max_features", &e.lsa.max_features},
      {"embedding_generator", "min_df", &e.lsa.min_df},
      {"embedding_generator", "bigrams", &e.lsa.bigrams},
      {"embedding_generator", "power_iterations", &e.lsa.power_iterations},
      {"embedding_generator", "oversample", &e.lsa.oversample},
      {"embedding_generator", "common_components", &e.lsa.common_components},
      {"embedding_generator", "epochs", &e.doc2vec.epochs},
      {"embedding_generator", "negative", &e.doc2vec.negative},
      {"embedding_generator", "window", &e.doc2vec.window},
      {"embedding_generator", "min_count", &e.doc2vec.min_count},
      {"embedding_generator", "alpha", &e.doc2vec.alpha},
      {"embedding_generator", "min_alpha", &e.doc2vec.min_alpha},
      {"embedding_generator", "sample", &e.doc2vec.sample},
      {"embedding_generator", "dm", &e.doc2vec.dm},
      {"embedding_generator", "dbow_words", &e.doc2vec.dbow_words},
      {"embedding_generator", "infer_epochs", &e.doc2vec.infer_epochs},
      {"embedding_generator", "infer_alpha", &e.doc2vec.infer_alpha},
      {"task_classifier", "hidden_units", &c.hidden_units},
      {"task_classifier", "max_features", &c.max_features},
      {"task_classifier", "min_df", &c.min_df},
      {"task_classifier", "learning_rate", &c.learning_rate},
      {"task_classifier", "batch_size", &c.batch_size},
      {"task_classifier", "max_epochs", &c.max_epochs},
      {"task_classifier", "validation_fraction", &c.validation_fraction},
      {"task_classifier", "patience", &c.patience},
      {"task_classifier", "l2", &c.l2},
      {"task_classifier", "dropout", &c.dropout},
      {"task_classifier", "refit", &c.refit},
      {"task_classifier", "seed", &c.seed},
      {"agent_selector", "n_estimators", &s.n_estimators},
      {"agent_selector", "max_depth", &s.max_depth},
      {"agent_selector", "subsample", &s.subsample},
      {"agent_selector", "colsample_bynode", &s.colsample_bynode},
      {"agent_selector", "min_child_weight", &s.min_child_weight},
      {"agent_selector", "seed", &s.seed},
      {"performance_predictor", "n_estimators", &r.n_estimators},
      {"performance_predictor", "learning_rate", &r.learning_rate},
      {"performance_predictor", "max_depth", &r.max_depth},
      {"performance_predictor", "subsample", &r.subsample},
      {"performance_predictor", "min_cost_rows", &r.min_cost_rows},
      {"performance_predictor", "seed", &r.seed},
      {"anomaly_detector", "n_estimators", &a.forest.n_estimators},
      {"anomaly_detector", "max_samples", &a.forest.max_samples},
      {"anomaly_detector", "max_depth", &a.forest.max_depth},
      {"anomaly_detector", "contamination", &a.contamination},
      {"anomaly_detector", "smoothing", &a.smoothing},
      {"anomaly_detector", "seed", &a.forest.seed},
  };
}

template <typename T>
bool parse_as(std::string_view text, T& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string key_of(std::string_view model, std::string_view name) {
  return "models." + std::string(model) + ".parameters." + std::string(name);
}

}  // namespace

ModelParams default_model_params() { return ModelParams{}; }

Status set_model_parameter(ModelParams& params, std::string_view model, std::string_view name,
                           std::string_view value) {
  bool model_known = false;
  for (const Entry& e : table(params)) {
    if (model != e.model) continue;
    model_known = true;
    if (name != e.name) continue;
    const std::string key = key_of(model, name);
    bool ok = std::visit(
        [&](auto* slot) {
          using T = std::remove_pointer_t<decltype(slot)>;
          if constexpr (std::is_same_v<T, bool>) {
            if (value == "true" || value == "1") return *slot = true, true;
            if (value == "false" || value == "0") return *slot = false, true;
            return false;
          } else if constexpr (std::is_same_v<T, std::string>) {
            if (std::find(e.choices->begin(), e.choices->end(), value) == e.choices->end()) return false;
            *slot = std::string(value);
            return true;
          } else {
            T v{};
            if (!parse_as(value, v)) return false;
            *slot = v;
            return true;
          }
        },
        e.slot);
    if (!ok) {
      const std::string expected = std::visit(
          [&e](auto* slot) -> std::string {
            using T = std::remove_pointer_t<decltype(slot)>;
            if constexpr (std::is_same_v<T, bool>) return "true or false";
            if constexpr (std::is_same_v<T, double>) return "a number";
            if constexpr (std::is_same_v<T, std::string>) {
              std::string list;
              for (const auto& c : *e.choices) list += (list.empty() ? "" : " or ") + c;
              return "one of " + list;
            }
            return "an integer";
          },
          e.slot);
      return Status::Invalid(key + " must be " + expected + ", got '" + std::string(value) + "'", key);
    }
    return {};
  }
  if (!model_known) {
    return Status::Invalid("unknown model '" + std::string(model) +
                               "' (models: features, embedding_generator, task_classifier, agent_selector, "
                               "performance_predictor, anomaly_detector)",
                           "models." + std::string(model));
  }
  return Status::Invalid("unknown parameter " + key_of(model, name), key_of(model, name));
}

std::vector<ModelParameterInfo> list_model_parameters(const ModelParams& params) {
  ModelParams copy = params;
  std::vector<ModelParameterInfo> out;
  for (const Entry& e : table(copy)) {
    std::string value = std::visit(
        [](auto* slot) -> std::string {
          using T = std::remove_pointer_t<decltype(slot)>;
          if constexpr (std::is_same_v<T, bool>) {
            return *slot ? "true" : "false";
          } else if constexpr (std::is_same_v<T, std::string>) {
            return *slot;
          } else if constexpr (std::is_same_v<T, double>) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%g", *slot);
            return buf;
          } else {
            return std::to_string(*slot);
          }
        },
        e.slot);
    out.push_back({e.model, e.name, std::move(value)});
  }
  return out;
}

void set_vector_dimensions(ModelParams& params, int dimensions) {
  params.embedding_generator.dimensions = dimensions;
  params.features.text_dimensions = std::min(params.features.text_dimensions, dimensions);
}

}  // namespace agentlearn::ml
