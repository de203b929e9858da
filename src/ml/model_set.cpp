#include "ml/model_set.hpp"
#include "core/elapsed.hpp"

#include <chrono>
#include <map>
#include <memory>

#include "core/hash.hpp"
#include "ml/byte_io.hpp"
#include "ml/evaluation.hpp"
#include "ml/out_of_fold.hpp"
#include "ml/outcome_scale.hpp"
#include "ml/policies/registry.hpp"
#include "ml/tokenizer.hpp"

namespace agentlearn::ml {

namespace {
constexpr std::string_view kMagic = "AL-MODELSET";
constexpr uint32_t kFormat = 3;  // 2: models may be absent; report says why. 3: the policy selection
constexpr const char* kModelNames[6] = {"embedding_generator", "task_classifier",       "features",
                                        "agent_selector",      "performance_predictor", "anomaly_detector"};

template <typename T>
Status load_into(std::optional<T>& slot, const std::string& blob) {
  auto v = T::deserialize(blob);
  if (!v.ok()) return v.status();
  slot.emplace(std::move(*v));
  return {};
}
}  // namespace

void ModelSet::compute_versions(const std::string (&blobs)[6]) {
  versions_.clear();
  ContentHasher all;
  for (size_t i = 0; i < 6; ++i) {
    ContentHasher h;
    h.add(blobs[i]);
    std::string hex = blobs[i].empty() ? "none" : h.hex().substr(0, 12);
    versions_.push_back({kModelNames[i], std::string(kModelNames[i]) + "-" + hex});
    all.add(hex);
  }
  content_version_ = all.hex().substr(0, 12);
}

std::vector<float> ModelSet::embed(std::string_view text) const {
  if (!embedding_) return {};
  return embedding_->embed(text);
}

const ModelTrainingReport* ModelSet::report_of(std::string_view model) const {
  for (const auto& r : report_) {
    if (r.model == model) return &r;
  }
  return nullptr;
}

std::string ModelSet::effective_task_type(const TaskQuery& task, std::string* category, double* probability) const {
  if (!classifier_) {
    if (category) category->clear();
    if (probability) *probability = 0;
    return std::string(task.task_type);
  }
  auto guess = classifier_->predict(task.description);
  if (category) *category = guess.label;
  if (probability) *probability = guess.probability;
  return task.task_type.empty() ? guess.label : std::string(task.task_type);
}

StatusOr<std::shared_ptr<const ModelSet>> ModelSet::train(std::span<const Execution> rows, const ModelParams& params,
                                                         const ModelSet* previous, double embedding_regrowth) {
  if (rows.empty()) return Status::Invalid("no executions to train on");
  std::shared_ptr<ModelSet> set(new ModelSet());

  // Distinct texts, each with the task type it was most often recorded with.
  std::map<std::string, std::map<std::string, size_t>> texts;
  for (const auto& e : rows) {
    if (e.task_description) ++texts[*e.task_description][e.task_type.value_or("")];
  }
  std::vector<std::string> text_list, type_list;
  for (const auto& [text, types] : texts) {
    auto best = std::max_element(types.begin(), types.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    text_list.push_back(text);
    type_list.push_back(best->first);
  }

  auto t0 = std::chrono::steady_clock::now();
  const ModelTrainingReport* before = previous ? previous->report_of("embedding_generator") : nullptr;
  if (previous && previous->embedding_ && before &&
      static_cast<double>(text_list.size()) < embedding_regrowth * static_cast<double>(before->samples) &&
      previous->embedding_->dimensions() == params.embedding_generator.dimensions &&
      previous->embedding_->method() == params.embedding_generator.method) {
    set->embedding_.emplace(*previous->embedding_);
    set->report_.push_back({"embedding_generator", 0, before->samples, true, {}});
  } else if (text_list.empty()) {
    set->report_.push_back({"embedding_generator", 0, 0, false, "no execution has a task_description"});
  } else {
    auto embedding = EmbeddingGenerator::train(text_list, params.embedding_generator);
    if (embedding.ok()) {
      set->embedding_.emplace(std::move(*embedding));
      set->report_.push_back({"embedding_generator", seconds_since(t0), text_list.size(), false, {}});
    } else {
      set->report_.push_back(
          {"embedding_generator", seconds_since(t0), text_list.size(), false, embedding.status().message()});
    }
  }

  t0 = std::chrono::steady_clock::now();
  std::vector<std::string> typed_texts, typed_labels;
  for (size_t i = 0; i < text_list.size(); ++i) {
    if (!type_list[i].empty()) {
      typed_texts.push_back(text_list[i]);
      typed_labels.push_back(type_list[i]);
    }
  }
  if (typed_texts.empty()) {
    set->report_.push_back({"task_classifier", 0, 0, false, "no execution has both a task_description and a task_type"});
  } else {
    auto classifier = TaskClassifier::train(typed_texts, typed_labels, params.task_classifier);
    if (classifier.ok()) {
      set->classifier_.emplace(std::move(*classifier));
      set->report_.push_back({"task_classifier", seconds_since(t0), typed_texts.size(), false, {}});
    } else {
      set->report_.push_back(
          {"task_classifier", seconds_since(t0), typed_texts.size(), false, classifier.status().message()});
    }
  }

  // Rows without a task type get the classifier's, exactly as requests without one do.
  std::vector<Execution> typed(rows.begin(), rows.end());
  for (auto& e : typed) {
    if (!e.task_type) e.task_type = set->effective_task_type(task_query_of(e), nullptr, nullptr);
  }
  t0 = std::chrono::steady_clock::now();
  const ModelSet& self = *set;
  TextEmbedder embed;
  if (set->embedding_) embed = [&self](std::string_view t) { return self.embed(t); };
  auto features = fit_features(typed, params.features, embed);
  if (!features.ok()) return Status::Invalid("features: " + features.status().message());
  set->features_ = std::move(features->builder);
  DenseMatrix x = std::move(features->training_rows);
  double features_seconds = seconds_since(t0);

  std::unique_ptr<bool[]> success(new bool[rows.size()]);
  std::vector<float> log_times(rows.size()), log_costs(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    success[i] = rows[i].success;
    log_times[i] = static_cast<float>(log_time(rows[i].execution_time));
    log_costs[i] = rows[i].cost_usd ? static_cast<float>(log_cost(*rows[i].cost_usd)) : kMissing;
  }
  t0 = std::chrono::steady_clock::now();
  AgentSelectorParams sp = params.agent_selector;
  sp.threads = params.training_threads;
  // The selector sees its own share of the columns (success rates of the agent groups it
  // can rank by), monotone in every success rate.
  auto selector = AgentSelector::train(x.columns(set->features_.selector_columns()),
                                       std::span<const bool>(success.get(), rows.size()), sp,
                                       set->features_.selector_monotonicity());
  if (!selector.ok()) return Status::Invalid("agent_selector: " + selector.status().message());
  set->selector_.emplace(std::move(*selector));
  set->report_.push_back({"agent_selector", seconds_since(t0) + features_seconds, rows.size(), false, {}});

  // The served policy: every policy's picks on the training tasks, out-of-fold. A set whose
  // selection cannot run (a fold with one outcome class) serves the model, and says why.
  t0 = std::chrono::steady_clock::now();
  auto oof = out_of_fold_tasks(set->features_, typed, x, sp);
  if (oof.ok()) {
    auto policies = make_all_policies(set->features_);
    auto outcomes = score_policies(policies, *oof, Objective{});
    set->selection_ = select_policy(outcomes, set->features_.training_folds());
  } else {
    set->selection_.missing = oof.status().message();
  }
  set->selection_.seconds = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  PerformancePredictorParams pp = params.performance_predictor;
  pp.threads = params.training_threads;
  auto predictor = PerformancePredictor::train(x, log_times, log_costs, pp);
  if (!predictor.ok()) return Status::Invalid("performance_predictor: " + predictor.status().message());
  set->predictor_.emplace(std::move(*predictor));
  set->report_.push_back({"performance_predictor", seconds_since(t0), rows.size(), false, {}});

  t0 = std::chrono::steady_clock::now();
  auto anomaly = AnomalyDetector::train(rows, params.anomaly_detector);
  if (!anomaly.ok()) return Status::Invalid("anomaly_detector: " + anomaly.status().message());
  set->anomaly_.emplace(std::move(*anomaly));
  set->report_.push_back({"anomaly_detector", seconds_since(t0), rows.size(), false, {}});
  const std::string blobs[6] = {set->embedding_ ? set->embedding_->serialize() : std::string(),
                                set->classifier_ ? set->classifier_->serialize() : std::string(),
                                set->features_.serialize(),
                                set->selector_->serialize(),
                                set->predictor_->serialize(),
                                set->anomaly_->serialize()};
  set->compute_versions(blobs);
  return std::shared_ptr<const ModelSet>(std::move(set));
}

StatusOr<TaskEstimate> ModelSet::estimate(const TaskQuery& task, std::span<const std::string> candidates) const {
  TaskEstimate out;
  // The text's embedding only when the features use it (Doc2Vec's inference was a sixth of a
  // recommendation's CPU).
  if (features_.needs_embedding()) out.embedding = embed(task.description);
  std::string type = effective_task_type(task, &out.category, &out.category_probability);
  TaskQuery typed = task;
  typed.task_type = type;
  PreparedTask prepared = features_.prepare(typed, out.embedding);
  DenseMatrix x(candidates.size(), features_.width());
  for (size_t i = 0; i < candidates.size(); ++i) features_.fill(prepared, candidates[i], x.row(i));
  std::vector<float> p, lt, lc;
  if (auto st = selector_->predict(x.columns(features_.selector_columns()), p); !st.ok()) return st;
  if (auto st = predictor_->predict(x, lt, lc); !st.ok()) return st;
  out.candidates.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) out.candidates.push_back({candidates[i], p[i], lt[i], lc[i]});
  out.features = std::move(x);
  return out;
}

std::string ModelSet::serialize() const {
  ByteWriter w(kMagic, kFormat);
  // An absent model is an empty part.
  w.put_string(embedding_ ? embedding_->serialize() : std::string());
  w.put_string(classifier_ ? classifier_->serialize() : std::string());
  w.put_string(features_.serialize());
  w.put_string(selector_->serialize());
  w.put_string(predictor_->serialize());
  w.put_string(anomaly_->serialize());
  w.put<uint64_t>(report_.size());
  for (const auto& r : report_) {
    w.put_string(r.model);
    w.put<double>(r.seconds);
    w.put<uint64_t>(r.samples);
    w.put<uint8_t>(r.reused ? 1 : 0);
    w.put_string(r.missing);
  }
  selection_.write(w);
  return std::move(w).take();
}

StatusOr<std::shared_ptr<const ModelSet>> ModelSet::deserialize(std::string_view blob) {
  ByteReader r(blob, kMagic, 2, kFormat);
  std::string parts[6];
  for (auto& p : parts) p = r.get_string();
  auto n = r.get<uint64_t>();
  if (n > 16) r.fail("implausible training report");
  std::shared_ptr<ModelSet> set(new ModelSet());
  for (uint64_t i = 0; r.ok() && i < n; ++i) {
    ModelTrainingReport rep;
    rep.model = r.get_string();
    rep.seconds = r.get<double>();
    rep.samples = r.get<uint64_t>();
    rep.reused = r.get<uint8_t>() != 0;
    rep.missing = r.get_string();
    set->report_.push_back(std::move(rep));
  }
  if (r.version() >= 3) set->selection_ = PolicySelection::read(r);
  if (auto st = r.finish(); !st.ok()) return st;
  if (!parts[0].empty()) {
    if (auto st = load_into(set->embedding_, parts[0]); !st.ok()) return st;
  }
  if (!parts[1].empty()) {
    if (auto st = load_into(set->classifier_, parts[1]); !st.ok()) return st;
  }
  auto features = FeatureBuilder::deserialize(parts[2]);
  if (!features.ok()) return features.status();
  set->features_ = std::move(*features);
  if (auto st = load_into(set->selector_, parts[3]); !st.ok()) return st;
  if (auto st = load_into(set->predictor_, parts[4]); !st.ok()) return st;
  if (auto st = load_into(set->anomaly_, parts[5]); !st.ok()) return st;
  set->compute_versions(parts);
  return std::shared_ptr<const ModelSet>(std::move(set));
}

}  // namespace agentlearn::ml
