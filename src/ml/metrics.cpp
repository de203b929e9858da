#include "ml/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <unordered_map>

namespace agentlearn::ml {

double roc_auc(std::span<const double> scores, std::span<const bool> labels) {
  const size_t n = std::min(scores.size(), labels.size());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Sum of the positives' average ranks (ties share the mean rank).
  double rank_sum = 0;
  size_t positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    double mean_rank = (static_cast<double>(i) + static_cast<double>(j) + 1.0) / 2.0;  // 1-based
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]]) {
        rank_sum += mean_rank;
        ++positives;
      }
    }
    i = j;
  }
  size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

double log_loss(std::span<const double> probabilities, std::span<const bool> labels) {
  const size_t n = std::min(probabilities.size(), labels.size());
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    double p = std::clamp(probabilities[i], 1e-15, 1 - 1e-15);
    sum -= labels[i] ? std::log(p) : std::log(1 - p);
  }
  return sum / static_cast<double>(n);
}

double r2_score(std::span<const double> truth, std::span<const double> predicted) {
  const size_t n = std::min(truth.size(), predicted.size());
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  double mean = std::accumulate(truth.begin(), truth.begin() + static_cast<ptrdiff_t>(n), 0.0) / static_cast<double>(n);
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < n; ++i) {
    ss_res += (truth[i] - predicted[i]) * (truth[i] - predicted[i]);
    ss_tot += (truth[i] - mean) * (truth[i] - mean);
  }
  if (ss_tot == 0) return ss_res == 0 ? 1.0 : 0.0;
  return 1 - ss_res / ss_tot;
}

double accuracy(std::span<const std::string> truth, std::span<const std::string> predicted) {
  const size_t n = std::min(truth.size(), predicted.size());
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  size_t right = 0;
  for (size_t i = 0; i < n; ++i) right += truth[i] == predicted[i];
  return static_cast<double>(right) / static_cast<double>(n);
}

std::vector<int> group_folds(std::span<const std::string> groups, int folds, uint64_t seed) {
  std::unordered_map<std::string_view, size_t> index;
  std::vector<std::string_view> names;
  std::vector<size_t> sizes;
  std::vector<size_t> group_of(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    auto [it, added] = index.try_emplace(groups[i], names.size());
    if (added) {
      names.push_back(groups[i]);
      sizes.push_back(0);
    }
    group_of[i] = it->second;
    ++sizes[it->second];
  }
  std::vector<size_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  // Sort by name first so the result does not depend on the input's row order, then shuffle.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return names[a] < names[b]; });
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  std::vector<size_t> fold_rows(static_cast<size_t>(std::max(folds, 1)), 0);
  std::vector<int> fold_of_group(names.size(), 0);
  for (size_t g : order) {
    size_t f = static_cast<size_t>(std::min_element(fold_rows.begin(), fold_rows.end()) - fold_rows.begin());
    fold_of_group[g] = static_cast<int>(f);
    fold_rows[f] += sizes[g];
  }
  std::vector<int> out(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) out[i] = fold_of_group[group_of[i]];
  return out;
}

}  // namespace agentlearn::ml
