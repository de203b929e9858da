#include "ml/task_classifier.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

#include "ml/byte_io.hpp"
#include "ml/tokenizer.hpp"

namespace agentlearn::ml {

namespace {
constexpr std::string_view kMagic = "AL-TCLS";
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kChecksumBytes = sizeof(uint64_t);
}  // namespace

StatusOr<TaskClassifier> TaskClassifier::train(std::span<const std::string> texts,
                                               std::span<const std::string> labels, const TaskClassifierParams& p) {
  if (texts.empty()) return Status::Invalid("no texts to train the task classifier on", "texts");
  if (texts.size() != labels.size()) {
    return Status::Invalid("got " + std::to_string(texts.size()) + " texts but " + std::to_string(labels.size()) +
                               " labels",
                           "labels");
  }
  if (p.hidden_units < 1) return Status::Invalid("hidden_units must be at least 1", "hidden_units");

  std::vector<std::string> names(labels.begin(), labels.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.front().empty()) return Status::Invalid("labels must not be empty", "labels");
  if (names.size() < 2) {
    return Status::Invalid("need at least 2 distinct labels to classify, got only \"" + names.front() + "\"",
                           "labels");
  }

  auto vectorizer = TextVectorizer::fit(texts, {.max_features = p.max_features, .min_df = p.min_df, .bigrams = true});
  if (!vectorizer.ok()) return vectorizer.status();

  SparseRows x(static_cast<int>(vectorizer->num_features()));
  std::vector<int32_t> y;
  y.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    auto row = vectorizer->transform(texts[i]);
    x.add_row(row.index, row.value);
    y.push_back(static_cast<int32_t>(std::lower_bound(names.begin(), names.end(), labels[i]) - names.begin()));
  }

  MlpParams mp;
  mp.hidden = {p.hidden_units};
  mp.learning_rate = p.learning_rate;
  mp.batch_size = p.batch_size;
  mp.max_epochs = p.max_epochs;
  mp.validation_fraction = p.validation_fraction;
  mp.patience = p.patience;
  mp.l2 = p.l2;
  mp.dropout = p.dropout;
  mp.refit = p.refit;
  mp.seed = p.seed;
  MlpTrainReport report;
  auto mlp = Mlp::train(x, y, static_cast<int>(names.size()), mp, &report);
  if (!mlp.ok()) return mlp.status();

  TaskClassifierSummary summary{
      .epochs_run = report.epochs_run,
      .best_epoch = report.best_epoch,
      .best_validation_accuracy = report.best_validation_accuracy,
      .refit_epochs = report.refit_epochs,
      .training_samples = report.training_samples,
      .validation_samples = report.validation_samples,
      .vocabulary_size = vectorizer->num_features(),
  };
  return TaskClassifier(std::move(vectorizer).value(), std::move(mlp).value(), std::move(names), summary);
}

std::vector<double> TaskClassifier::predict_proba(std::string_view text) const {
  auto row = vectorizer_.transform(text);
  std::vector<float> probs(labels_.size());
  mlp_.predict_proba({row.index, row.value}, probs);
  return {probs.begin(), probs.end()};
}

TaskClassifier::Prediction TaskClassifier::predict(std::string_view text) const {
  auto probs = predict_proba(text);
  auto best = std::max_element(probs.begin(), probs.end()) - probs.begin();
  return {labels_[best], probs[best]};
}

std::string TaskClassifier::serialize() const {
  ByteWriter w(kMagic, kFormatVersion);
  w.put<uint64_t>(labels_.size());
  for (const auto& l : labels_) w.put_string(l);
  w.put<int32_t>(summary_.epochs_run);
  w.put<int32_t>(summary_.best_epoch);
  w.put<double>(summary_.best_validation_accuracy);
  w.put<int32_t>(summary_.refit_epochs);
  w.put<uint64_t>(summary_.training_samples);
  w.put<uint64_t>(summary_.validation_samples);
  w.put<uint64_t>(summary_.vocabulary_size);
  vectorizer_.write(w);
  mlp_.write(w);
  std::string blob = std::move(w).take();
  // The checksum catches what structural checks cannot: a flipped bit in a weight.
  uint64_t sum = stable_hash64(blob);
  blob.append(reinterpret_cast<const char*>(&sum), kChecksumBytes);
  return blob;
}

StatusOr<TaskClassifier> TaskClassifier::deserialize(std::string_view blob) {
  std::string_view body = blob.substr(0, blob.size() - std::min(blob.size(), kChecksumBytes));
  ByteReader r(body, kMagic, kFormatVersion, kFormatVersion);
  if (!r.ok()) return r.status();
  uint64_t sum;
  std::memcpy(&sum, blob.data() + body.size(), kChecksumBytes);
  if (sum != stable_hash64(body)) {
    r.fail("checksum mismatch (truncated or corrupted)");
    return r.status();
  }

  auto n = r.get<uint64_t>();
  if (r.ok() && (n < 2 || n > r.remaining() / sizeof(uint64_t))) r.fail("bad label count");
  std::vector<std::string> labels;
  for (uint64_t i = 0; r.ok() && i < n; ++i) labels.push_back(r.get_string());
  if (r.ok() && (labels.front().empty() ||
                 std::adjacent_find(labels.begin(), labels.end(), std::greater_equal<>()) != labels.end())) {
    r.fail("labels must be distinct, sorted and non-empty");
  }
  TaskClassifierSummary s;
  s.epochs_run = r.get<int32_t>();
  s.best_epoch = r.get<int32_t>();
  s.best_validation_accuracy = r.get<double>();
  s.refit_epochs = r.get<int32_t>();
  s.training_samples = r.get<uint64_t>();
  s.validation_samples = r.get<uint64_t>();
  s.vocabulary_size = r.get<uint64_t>();
  if (!r.ok()) return r.status();
  auto vectorizer = TextVectorizer::read(r);
  if (!vectorizer.ok()) return vectorizer.status();
  auto mlp = Mlp::read(r);
  if (!mlp.ok()) return mlp.status();
  if (static_cast<size_t>(mlp->num_inputs()) != vectorizer->num_features() ||
      static_cast<size_t>(mlp->num_classes()) != labels.size() || mlp->hidden().size() != 1) {
    r.fail("network shape does not match the vocabulary and labels");
  }
  if (auto st = r.finish(); !st.ok()) return st;
  return TaskClassifier(std::move(vectorizer).value(), std::move(mlp).value(), std::move(labels), s);
}

}  // namespace agentlearn::ml
