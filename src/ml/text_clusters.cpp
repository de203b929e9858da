#include "ml/text_clusters.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "ml/splitmix64.hpp"

namespace agentlearn::ml {

namespace {
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}

TextClusters TextClusters::fit(const std::vector<std::vector<float>>& vectors, int k, uint64_t seed, int iterations) {
  TextClusters c;
  if (k < 1) return c;
  size_t dims = 0;
  for (const auto& v : vectors) dims = std::max(dims, v.size());
  std::vector<const std::vector<float>*> kept;
  for (const auto& v : vectors) {
    if (std::any_of(v.begin(), v.end(), [](float x) { return x != 0.f; })) kept.push_back(&v);
  }
  if (kept.empty() || dims == 0) return c;
  const auto n = static_cast<Eigen::Index>(kept.size());
  const auto d = static_cast<Eigen::Index>(dims);
  Matrix x = Matrix::Zero(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& v = *kept[static_cast<size_t>(i)];
    for (size_t j = 0; j < v.size(); ++j) x(i, static_cast<Eigen::Index>(j)) = v[j];
    x.row(i).normalize();
  }

  // k-means++: each next centre drawn with probability proportional to its distance
  // (1 - cosine) from the nearest centre so far; identical vectors are never drawn twice.
  SplitMix64 rng(seed);
  std::vector<Eigen::Index> centres{static_cast<Eigen::Index>(rng.below64(static_cast<uint64_t>(n)))};
  Eigen::VectorXf best = x * x.row(centres[0]).transpose();
  while (static_cast<int>(centres.size()) < k) {
    double total = 0;
    for (Eigen::Index i = 0; i < n; ++i) total += std::max(0.0, 1.0 - static_cast<double>(best(i)));
    if (total <= 1e-9) break;  // every vector already coincides with a centre
    double pick = rng.unit_double() * total;
    Eigen::Index next = n - 1;
    for (Eigen::Index i = 0; i < n; ++i) {
      pick -= std::max(0.0, 1.0 - static_cast<double>(best(i)));
      if (pick < 0) {
        next = i;
        break;
      }
    }
    centres.push_back(next);
    best = best.cwiseMax(x * x.row(next).transpose());
  }
  const auto m = static_cast<Eigen::Index>(centres.size());
  Matrix centroids(m, d);
  for (Eigen::Index j = 0; j < m; ++j) centroids.row(j) = x.row(centres[static_cast<size_t>(j)]);

  std::vector<Eigen::Index> member(static_cast<size_t>(n), -1);
  for (int it = 0; it < iterations; ++it) {
    Matrix sims = x * centroids.transpose();  // n x m
    bool moved = false;
    for (Eigen::Index i = 0; i < n; ++i) {
      Eigen::Index arg;
      sims.row(i).maxCoeff(&arg);
      if (arg != member[static_cast<size_t>(i)]) moved = true;
      member[static_cast<size_t>(i)] = arg;
    }
    if (!moved) break;
    Matrix sums = Matrix::Zero(m, d);
    for (Eigen::Index i = 0; i < n; ++i) sums.row(member[static_cast<size_t>(i)]) += x.row(i);
    for (Eigen::Index j = 0; j < m; ++j) {
      // An emptied cluster keeps its centre (it may win members back).
      if (sums.row(j).norm() > 0) centroids.row(j) = sums.row(j).normalized();
    }
  }
  c.count_ = static_cast<int>(m);
  c.dims_ = static_cast<int>(d);
  c.centroids_.assign(centroids.data(), centroids.data() + m * d);
  return c;
}

int TextClusters::assign(std::span<const float> vector) const {
  if (count_ == 0 || vector.empty()) return -1;
  const size_t d = std::min(vector.size(), static_cast<size_t>(dims_));
  double norm = 0;
  for (size_t j = 0; j < d; ++j) norm += static_cast<double>(vector[j]) * vector[j];
  if (norm == 0) return -1;
  int best = -1;
  float best_sim = 0;
  for (int c = 0; c < count_; ++c) {
    const float* row = centroids_.data() + static_cast<size_t>(c) * static_cast<size_t>(dims_);
    float s = 0;
    for (size_t j = 0; j < d; ++j) s += row[j] * vector[j];
    if (best < 0 || s > best_sim) best = c, best_sim = s;
  }
  return best;
}

void TextClusters::write(ByteWriter& out) const {
  out.put<int32_t>(count_);
  out.put<int32_t>(dims_);
  if (count_ > 0) out.put_vector(centroids_);
}

StatusOr<TextClusters> TextClusters::read(ByteReader& in) {
  TextClusters c;
  c.count_ = in.get<int32_t>();
  c.dims_ = in.get<int32_t>();
  if (in.ok() && (c.count_ < 0 || c.count_ > 65536 || c.dims_ < 0 || c.dims_ > 4096)) in.fail("implausible clusters");
  if (in.ok() && c.count_ > 0) c.centroids_ = in.get_vector<float>();
  if (!in.ok()) return in.status();
  if (c.centroids_.size() != static_cast<size_t>(c.count_) * static_cast<size_t>(c.dims_) ||
      !std::all_of(c.centroids_.begin(), c.centroids_.end(), [](float x) { return std::isfinite(x); })) {
    in.fail("cluster centroids do not match their count and width");
    return in.status();
  }
  return c;
}

}  // namespace agentlearn::ml
