#include "ml/evaluation.hpp"
#include "core/elapsed.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <unordered_map>

#include "ml/metrics.hpp"
#include "ml/outcome_scale.hpp"

namespace agentlearn::ml {

namespace {
}  // namespace

DenseMatrix feature_rows(const FeatureBuilder& builder, std::span<const Execution> rows, const TextEmbedder& embed) {
  DenseMatrix x(rows.size(), builder.width());
  // The same text is run by many agents: embed each distinct text once.
  std::unordered_map<std::string_view, std::vector<float>> cache;
  for (size_t i = 0; i < rows.size(); ++i) {
    TaskQuery q = task_query_of(rows[i]);
    std::span<const float> emb;
    if (embed && builder.needs_embedding()) {
      auto it = cache.find(q.description);
      if (it == cache.end()) it = cache.emplace(q.description, embed(q.description)).first;
      emb = it->second;
    }
    builder.fill(builder.prepare(q, emb), rows[i].agent_id, x.row(i));
  }
  return x;
}

std::vector<std::vector<float>> row_embeddings(std::span<const Execution> rows, const TextEmbedder& embed) {
  std::vector<std::vector<float>> embeddings;
  if (!embed) return embeddings;
  std::unordered_map<std::string_view, size_t> first;  // text -> its first row
  embeddings.resize(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].task_description) continue;
    auto [it, fresh] = first.emplace(*rows[i].task_description, i);
    embeddings[i] = fresh ? embed(*rows[i].task_description) : embeddings[it->second];
  }
  return embeddings;
}

StatusOr<FittedFeatures> fit_features(std::span<const Execution> rows, const FeatureParams& params,
                                      const TextEmbedder& embed) {
  // The text is embedded only when something reads it: the embedding dimensions as columns,
  // or the text clusters.
  std::vector<std::vector<float>> embeddings;
  if (params.text_dimensions > 0 || params.text_clusters > 0) embeddings = row_embeddings(rows, embed);
  auto builder = FeatureBuilder::fit(rows, params, embeddings);
  if (!builder.ok()) return builder.status();
  FittedFeatures out{std::move(*builder), {}};
  out.training_rows = out.builder.training_rows(rows, embeddings);
  return out;
}

StatusOr<TabularEvaluation> evaluate_selector_and_predictor(std::span<const Execution> rows, const TabularParams& params,
                                                            int folds, uint64_t seed, const EmbedderFactory& embedder,
                                                            const FoldObserver& observer) {
  if (folds < 2) return Status::Invalid("at least 2 folds are needed");
  if (rows.size() < static_cast<size_t>(folds) * 2) return Status::Invalid("too few rows to evaluate");
  std::vector<std::string> tasks;
  tasks.reserve(rows.size());
  for (const auto& e : rows) tasks.push_back(e.task_id);
  std::vector<int> fold_of = group_folds(tasks, folds, seed);

  TabularEvaluation ev;
  ev.folds = folds;
  ev.rows = rows.size();
  ev.success_probability.assign(rows.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<double> pred_time(rows.size()), pred_cost(rows.size(), std::numeric_limits<double>::quiet_NaN());

  for (int f = 0; f < folds; ++f) {
    std::vector<Execution> train, test;
    std::vector<size_t> test_index;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (fold_of[i] == f) {
        test.push_back(rows[i]);
        test_index.push_back(i);
      } else {
        train.push_back(rows[i]);
      }
    }
    if (train.empty() || test.empty()) continue;

    auto t0 = std::chrono::steady_clock::now();
    TextEmbedder embed;
    if (embedder && (params.features.text_dimensions > 0 || params.features.text_clusters > 0)) {
      std::set<std::string> distinct;
      for (const auto& e : train) {
        if (e.task_description) distinct.insert(*e.task_description);
      }
      std::vector<std::string> texts(distinct.begin(), distinct.end());
      auto made = embedder(texts);
      if (!made.ok()) return made.status();
      embed = std::move(*made);
    }
    ev.embedding_seconds += seconds_since(t0) / folds;

    t0 = std::chrono::steady_clock::now();
    auto fitted = fit_features(train, params.features, embed);
    if (!fitted.ok()) return fitted.status();
    const FeatureBuilder* builder = &fitted->builder;
    const DenseMatrix& xtrain = fitted->training_rows;
    DenseMatrix xtest = feature_rows(*builder, test, embed);
    ev.features_seconds += seconds_since(t0) / folds;

    std::unique_ptr<bool[]> success(new bool[train.size()]);
    std::vector<float> log_times(train.size()), log_costs(train.size());
    for (size_t i = 0; i < train.size(); ++i) {
      success[i] = train[i].success;
      log_times[i] = static_cast<float>(log_time(train[i].execution_time));
      log_costs[i] = train[i].cost_usd ? static_cast<float>(log_cost(*train[i].cost_usd)) : kMissing;
    }
    t0 = std::chrono::steady_clock::now();
    // Trained and asked exactly as the service's model set does (its columns, monotone).
    auto selector = AgentSelector::train(xtrain.columns(builder->selector_columns()),
                                         std::span<const bool>(success.get(), train.size()), params.selector,
                                         builder->selector_monotonicity());
    if (!selector.ok()) return selector.status();
    ev.selector_seconds += seconds_since(t0) / folds;
    t0 = std::chrono::steady_clock::now();
    auto predictor = PerformancePredictor::train(xtrain, log_times, log_costs, params.predictor);
    if (!predictor.ok()) return predictor.status();
    ev.predictor_seconds += seconds_since(t0) / folds;

    if (observer) {
      std::unique_ptr<bool[]> test_success(new bool[test.size()]);
      for (size_t i = 0; i < test.size(); ++i) test_success[i] = test[i].success;
      observer(f, xtrain.columns(builder->selector_columns()), std::span<const bool>(success.get(), train.size()),
               xtest.columns(builder->selector_columns()),
               std::span<const bool>(test_success.get(), test.size()));
    }
    std::vector<float> p, lt, lc;
    if (auto st = selector->predict(xtest.columns(builder->selector_columns()), p); !st.ok()) return st;
    if (auto st = predictor->predict(xtest, lt, lc); !st.ok()) return st;
    for (size_t j = 0; j < test_index.size(); ++j) {
      ev.success_probability[test_index[j]] = p[j];
      pred_time[test_index[j]] = lt[j];
      pred_cost[test_index[j]] = lc[j];
    }
  }

  std::unique_ptr<bool[]> labels(new bool[rows.size()]);
  std::vector<double> true_time(rows.size());
  std::vector<double> cost_truth, cost_pred;
  for (size_t i = 0; i < rows.size(); ++i) {
    labels[i] = rows[i].success;
    true_time[i] = log_time(rows[i].execution_time);
    if (rows[i].cost_usd && std::isfinite(pred_cost[i])) {
      cost_truth.push_back(log_cost(*rows[i].cost_usd));
      cost_pred.push_back(pred_cost[i]);
    }
  }
  std::span<const bool> label_span(labels.get(), rows.size());
  ev.selector_auc = roc_auc(ev.success_probability, label_span);
  ev.selector_log_loss = log_loss(ev.success_probability, label_span);
  ev.r2_log_time = r2_score(true_time, pred_time);
  ev.r2_log_cost = cost_truth.empty() ? std::numeric_limits<double>::quiet_NaN() : r2_score(cost_truth, cost_pred);
  return ev;
}

StatusOr<AnomalyEvaluation> evaluate_anomaly_detector(std::span<const Execution> rows,
                                                      const AnomalyDetectorParams& params, double share,
                                                      uint64_t seed) {
  if (!(share > 0 && share < 0.5)) return Status::Invalid("share must be in (0, 0.5)");
  std::vector<Execution> data(rows.begin(), rows.end());
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1), factor(10, 50);
  std::unique_ptr<bool[]> corrupted(new bool[data.size()]);
  AnomalyEvaluation ev;
  ev.rows = data.size();
  for (size_t i = 0; i < data.size(); ++i) {
    corrupted[i] = unit(rng) < share;
    if (!corrupted[i]) continue;
    ++ev.corrupted;
    double f = factor(rng);
    if (data[i].cost_usd && unit(rng) < 0.5) {
      *data[i].cost_usd *= f;
    } else {
      data[i].execution_time *= f;
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  auto detector = AnomalyDetector::train(data, params);
  if (!detector.ok()) return detector.status();
  ev.training_seconds = seconds_since(t0);
  std::vector<double> scores(data.size());
  size_t flagged = 0, flagged_right = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    scores[i] = detector->score(data[i]);
    if (detector->is_anomaly(scores[i])) {
      ++flagged;
      flagged_right += corrupted[i];
    }
  }
  ev.auc = roc_auc(scores, std::span<const bool>(corrupted.get(), data.size()));
  ev.features = DenseMatrix(data.size(), AnomalyDetector::kFeatureCount);
  for (size_t i = 0; i < data.size(); ++i) detector->features(data[i], ev.features.row(i));
  ev.corrupted_rows.assign(corrupted.get(), corrupted.get() + data.size());
  ev.flagged_precision = flagged ? static_cast<double>(flagged_right) / static_cast<double>(flagged) : 0;
  ev.flagged_recall = ev.corrupted ? static_cast<double>(flagged_right) / static_cast<double>(ev.corrupted) : 0;
  return ev;
}

namespace {

// The label the k most similar references vote for (sims: similarity and reference index,
// reordered here); a tie goes to the label with the larger summed similarity.
std::string_view knn_vote(std::vector<std::pair<float, size_t>>& sims, size_t k,
                          std::span<const std::string> reference_labels) {
  std::partial_sort(sims.begin(), sims.begin() + static_cast<ptrdiff_t>(k), sims.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::unordered_map<std::string_view, std::pair<int, double>> votes;
  for (size_t i = 0; i < k; ++i) {
    auto& v = votes[reference_labels[sims[i].second]];
    v.first += 1;
    v.second += sims[i].first;
  }
  std::string_view best;
  std::pair<int, double> best_vote{-1, 0};
  for (const auto& [label, vote] : votes) {
    if (vote.first > best_vote.first || (vote.first == best_vote.first && vote.second > best_vote.second)) {
      best = label;
      best_vote = vote;
    }
  }
  return best;
}

}  // namespace

double knn_vote_accuracy(const std::vector<std::vector<float>>& reference, std::span<const std::string> reference_labels,
                         const std::vector<std::vector<float>>& queries, std::span<const std::string> query_labels,
                         int k) {
  if (reference.empty() || queries.empty() || k < 1) return std::numeric_limits<double>::quiet_NaN();
  auto normalised = [](const std::vector<float>& v) {
    double n = 0;
    for (float x : v) n += static_cast<double>(x) * x;
    n = n > 0 ? 1 / std::sqrt(n) : 0;
    std::vector<float> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] * n);
    return out;
  };
  std::vector<std::vector<float>> ref;
  ref.reserve(reference.size());
  for (const auto& v : reference) ref.push_back(normalised(v));
  const size_t kk = std::min(static_cast<size_t>(k), ref.size());
  size_t right = 0;
  std::vector<std::pair<float, size_t>> sims(ref.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    std::vector<float> qv = normalised(queries[q]);
    for (size_t r = 0; r < ref.size(); ++r) {
      float dot = 0;
      const size_t d = std::min(qv.size(), ref[r].size());
      for (size_t i = 0; i < d; ++i) dot += qv[i] * ref[r][i];
      sims[r] = {dot, r};
    }
    right += knn_vote(sims, kk, reference_labels) == query_labels[q];
  }
  return static_cast<double>(right) / static_cast<double>(queries.size());
}

double knn_vote_accuracy(const std::vector<SparseVector>& reference, std::span<const std::string> reference_labels,
                         const std::vector<SparseVector>& queries, std::span<const std::string> query_labels, int k) {
  if (reference.empty() || queries.empty() || k < 1) return std::numeric_limits<double>::quiet_NaN();
  // An inverted index (feature -> references holding it, with their weights), so a query
  // touches only the references sharing one of its features. Rows are unit vectors already.
  std::unordered_map<int32_t, std::vector<std::pair<size_t, float>>> postings;
  for (size_t r = 0; r < reference.size(); ++r) {
    for (size_t i = 0; i < reference[r].index.size(); ++i) {
      postings[reference[r].index[i]].push_back({r, reference[r].value[i]});
    }
  }
  const size_t kk = std::min(static_cast<size_t>(k), reference.size());
  size_t right = 0;
  std::vector<std::pair<float, size_t>> sims(reference.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    for (size_t r = 0; r < reference.size(); ++r) sims[r] = {0.f, r};
    for (size_t i = 0; i < queries[q].index.size(); ++i) {
      auto it = postings.find(queries[q].index[i]);
      if (it == postings.end()) continue;
      for (const auto& [r, w] : it->second) sims[r].first += w * queries[q].value[i];
    }
    right += knn_vote(sims, kk, reference_labels) == query_labels[q];
  }
  return static_cast<double>(right) / static_cast<double>(queries.size());
}

}  // namespace agentlearn::ml
