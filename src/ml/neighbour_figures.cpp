#include "ml/neighbour_figures.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace agentlearn::ml {

namespace {
double median(std::vector<double>& v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid), v.end());
  double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  return (*std::max_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid)) + hi) / 2;
}
}  // namespace

NeighbourFigures neighbour_figures(const std::vector<std::vector<float>>& vectors, std::span<const std::string> labels,
                                   int k, double threshold) {
  const size_t n = vectors.size();
  if (n < 2 || k < 1 || labels.size() != n) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan, nan, nan, nan};
  }
  std::vector<std::vector<double>> unit(n);
  for (size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (float x : vectors[i]) norm += static_cast<double>(x) * x;
    norm = norm > 0 ? 1 / std::sqrt(norm) : 0;
    unit[i].reserve(vectors[i].size());
    for (float x : vectors[i]) unit[i].push_back(x * norm);
  }
  std::vector<double> sim(n * n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      double dot = 0;
      const size_t d = std::min(unit[i].size(), unit[j].size());
      for (size_t t = 0; t < d; ++t) dot += unit[i][t] * unit[j][t];
      sim[i * n + j] = sim[j * n + i] = dot;
    }
  }
  NeighbourFigures f;
  std::vector<double> pairs, nearest;
  pairs.reserve(n * (n - 1) / 2);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) pairs.push_back(sim[i * n + j]);
  }
  f.random_pair_median = median(pairs);
  const auto p99 = static_cast<ptrdiff_t>(static_cast<double>(pairs.size() - 1) * 0.99);
  std::nth_element(pairs.begin(), pairs.begin() + p99, pairs.end());
  f.random_pair_p99 = pairs[static_cast<size_t>(p99)];

  const size_t kk = std::min(static_cast<size_t>(k), n - 1);
  std::vector<size_t> order;
  double share = 0;
  size_t reaching = 0;
  for (size_t i = 0; i < n; ++i) {
    order.clear();
    for (size_t j = 0; j < n; ++j) {
      if (j != i) order.push_back(j);
    }
    // Most similar first; ties by index, so the figure does not depend on the sort.
    std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(kk), order.end(), [&](size_t a, size_t b) {
      double sa = sim[i * n + a], sb = sim[i * n + b];
      return sa > sb || (sa == sb && a < b);
    });
    size_t same = 0;
    for (size_t t = 0; t < kk; ++t) same += labels[order[t]] == labels[i];
    share += static_cast<double>(same) / static_cast<double>(kk);
    nearest.push_back(sim[i * n + order[0]]);
    reaching += sim[i * n + order[0]] >= threshold;
  }
  f.same_label_share = share / static_cast<double>(n);
  f.nearest_median = median(nearest);
  f.share_with_neighbour_at_threshold = static_cast<double>(reaching) / static_cast<double>(n);
  std::map<std::string, size_t> counts;
  for (const auto& l : labels) ++counts[l];
  for (const auto& [label, c] : counts) {
    // Drawing the k others from the n-1 texts that are not this one.
    f.chance_share += static_cast<double>(c) * static_cast<double>(c - 1) /
                      (static_cast<double>(n) * static_cast<double>(n - 1));
  }
  return f;
}

}  // namespace agentlearn::ml
