#include "ml/isolation_forest.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "ml/byte_io.hpp"
#include "ml/splitmix64.hpp"

namespace agentlearn::ml {

namespace {

constexpr std::string_view kMagic = "AL-IFOREST";
constexpr uint32_t kFormatVersion = 1;

// Bounds that keep a mistyped config from allocating without end; far above real use.
constexpr int kMaxEstimators = 10'000;
constexpr int kMaxDepth = 1'000;

constexpr double kEulerGamma = 0.5772156649015329;

// Smallest k with 2^k >= n: the paper's height limit ceil(log2(psi)), computed exactly.
int ceil_log2(uint64_t n) {
  int k = 0;
  while ((uint64_t{1} << k) < n) ++k;
  return k;
}

}  // namespace

double average_path_length(uint64_t n) {
  if (n <= 1) return 0.0;
  if (n == 2) return 1.0;
  const double m = static_cast<double>(n);
  return 2.0 * (std::log(m - 1.0) + kEulerGamma) - 2.0 * (m - 1.0) / m;
}

StatusOr<IsolationForest> IsolationForest::train(const DenseMatrix& rows, const IsolationForestParams& p) {
  if (rows.rows() == 0) return Status::Invalid("isolation forest: no training rows");
  if (rows.cols() == 0) return Status::Invalid("isolation forest: training rows have no features");
  if (rows.rows() > std::numeric_limits<uint32_t>::max() || rows.cols() > std::numeric_limits<int32_t>::max())
    return Status::Invalid("isolation forest: training matrix too large");
  if (p.n_estimators < 1 || p.n_estimators > kMaxEstimators)
    return Status::Invalid("isolation forest: n_estimators must be in [1, " + std::to_string(kMaxEstimators) +
                               "], got " + std::to_string(p.n_estimators),
                           "n_estimators");
  if (p.max_samples < 1)
    return Status::Invalid("isolation forest: max_samples must be >= 1, got " + std::to_string(p.max_samples),
                           "max_samples");
  if (p.max_depth < 0 || p.max_depth > kMaxDepth)
    return Status::Invalid("isolation forest: max_depth must be in [0, " + std::to_string(kMaxDepth) +
                               "] (0: ceil(log2(max_samples))), got " + std::to_string(p.max_depth),
                           "max_depth");

  const size_t n = rows.rows();
  const size_t d = rows.cols();
  const size_t psi = std::min(static_cast<size_t>(p.max_samples), n);
  const int depth_limit = p.max_depth > 0 ? p.max_depth : ceil_log2(psi);

  IsolationForest forest;
  forest.n_features_ = static_cast<uint32_t>(d);
  forest.sample_size_ = psi;
  forest.c_psi_ = average_path_length(psi);
  forest.tree_offsets_.reserve(static_cast<size_t>(p.n_estimators) + 1);
  forest.tree_offsets_.push_back(0);
  // A tree on psi rows has at most 2 psi - 1 nodes.
  forest.nodes_.reserve(static_cast<size_t>(p.n_estimators) * std::min<size_t>(2 * psi - 1, 512));

  SplitMix64 rng(p.seed ^ 0x6A09E667F3BCC909ull);

  // A permutation of all rows; a partial Fisher-Yates shuffle of its first psi entries
  // draws each tree's subsample without replacement in O(psi), whatever order the
  // previous trees left it in.
  std::vector<uint32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0u);

  // Scratch reused by every node: the rows of the tree being built (partitioned in place
  // as the tree grows), per-feature ranges and the features that can split a node.
  std::vector<uint32_t> sample(psi);
  std::vector<float> lo(d), hi(d);
  std::vector<uint32_t> splittable;
  splittable.reserve(d);

  // Depth-first with an explicit stack (max_depth may be large, recursion could overflow).
  // The left child is pushed last so it is built right after its parent (preorder); the
  // right child patches its index into the parent when its turn comes.
  struct Work {
    uint32_t begin, end;  // range of `sample`
    int depth;
    uint32_t parent;      // for a right child, the parent to patch; else kNoParent
  };
  constexpr uint32_t kNoParent = std::numeric_limits<uint32_t>::max();
  std::vector<Work> stack;

  for (int t = 0; t < p.n_estimators; ++t) {
    for (size_t i = 0; i < psi; ++i) {
      size_t j = i + rng.below_unbiased(n - i);
      std::swap(perm[i], perm[j]);
      sample[i] = perm[i];
    }
    stack.clear();
    stack.push_back({0, static_cast<uint32_t>(psi), 0, kNoParent});
    while (!stack.empty()) {
      const Work w = stack.back();
      stack.pop_back();
      const auto index = static_cast<uint32_t>(forest.nodes_.size());
      if (w.parent != kNoParent) forest.nodes_[w.parent].right = index;
      const uint32_t size = w.end - w.begin;

      splittable.clear();
      if (size > 1 && w.depth < depth_limit) {
        // Ranges over finite values only: NaN is missing and must not widen a range.
        std::fill(lo.begin(), lo.end(), std::numeric_limits<float>::infinity());
        std::fill(hi.begin(), hi.end(), -std::numeric_limits<float>::infinity());
        for (uint32_t k = w.begin; k < w.end; ++k) {
          auto r = rows.row(sample[k]);
          for (size_t f = 0; f < d; ++f) {
            const float x = r[f];
            if (!std::isfinite(x)) continue;
            lo[f] = std::min(lo[f], x);
            hi[f] = std::max(hi[f], x);
          }
        }
        for (size_t f = 0; f < d; ++f)
          if (lo[f] < hi[f]) splittable.push_back(static_cast<uint32_t>(f));
      }
      if (splittable.empty()) {
        // Depth limit reached, one row, or all rows alike: the unbuilt subtree below counts
        // as the average path length of a tree on `size` points.
        forest.nodes_.push_back(
            {kLeaf, static_cast<float>(w.depth + average_path_length(size)), 0});
        continue;
      }

      const uint32_t f = splittable[rng.below_unbiased(splittable.size())];
      const double span = static_cast<double>(hi[f]) - static_cast<double>(lo[f]);
      auto threshold = static_cast<float>(static_cast<double>(lo[f]) + rng.unit_double() * span);
      // Rounding to float may land on max; stay below it so both sides get rows (the min
      // row goes left, the max row right) and every split makes progress.
      if (threshold >= hi[f]) threshold = std::nextafter(hi[f], -std::numeric_limits<float>::infinity());

      // In-place partition: value <= threshold first. NaN compares false, so it goes right.
      uint32_t mid = w.begin;
      for (uint32_t k = w.begin; k < w.end; ++k) {
        if (rows.at(sample[k], f) <= threshold) std::swap(sample[k], sample[mid++]);
      }
      assert(mid > w.begin && mid < w.end);

      forest.nodes_.push_back({static_cast<int32_t>(f), threshold, 0});
      stack.push_back({mid, w.end, w.depth + 1, index});
      stack.push_back({w.begin, mid, w.depth + 1, kNoParent});
    }
    if (forest.nodes_.size() > std::numeric_limits<uint32_t>::max())
      return Status::Invalid("isolation forest: too many nodes");
    forest.tree_offsets_.push_back(static_cast<uint32_t>(forest.nodes_.size()));
  }
  forest.nodes_.shrink_to_fit();
  return forest;
}

double IsolationForest::score(std::span<const float> row) const {
  assert(row.size() == n_features_);
  // Release builds: never read past the row (a caller bug must not become a memory bug).
  if (row.size() < n_features_) [[unlikely]]
    return std::numeric_limits<double>::quiet_NaN();
  // psi = 1: every path has length 0 and c(1) = 0, nothing was learned.
  if (c_psi_ <= 0.0) return 0.5;

  const Node* nodes = nodes_.data();
  const size_t trees = tree_count();
  double total = 0.0;
  for (size_t t = 0; t < trees; ++t) {
    uint32_t i = tree_offsets_[t];
    while (nodes[i].feature != kLeaf) {
      const Node& node = nodes[i];
      i = row[static_cast<size_t>(node.feature)] <= node.value ? i + 1 : node.right;
    }
    total += nodes[i].value;
  }
  const double mean_path = total / static_cast<double>(trees);
  return std::exp2(-mean_path / c_psi_);
}

std::vector<double> IsolationForest::score_batch(const DenseMatrix& rows) const {
  assert(rows.empty() || rows.cols() == n_features_);
  std::vector<double> out(rows.rows());
  for (size_t r = 0; r < rows.rows(); ++r) out[r] = score(rows.row(r));
  return out;
}

std::string IsolationForest::serialize() const {
  ByteWriter w(kMagic, kFormatVersion);
  w.put<uint32_t>(n_features_);
  w.put<uint64_t>(sample_size_);
  w.put_vector(tree_offsets_);
  w.put_vector(nodes_);
  return std::move(w).take();
}

StatusOr<IsolationForest> IsolationForest::deserialize(std::string_view blob) {
  ByteReader r(blob, kMagic, kFormatVersion, kFormatVersion);
  IsolationForest forest;
  forest.n_features_ = r.get<uint32_t>();
  forest.sample_size_ = r.get<uint64_t>();
  // The arrays are read element by element (same bytes as ByteWriter::put_vector): the
  // count is checked against the bytes left before anything is allocated, and an empty
  // array never reaches memcpy with a null destination.
  const uint64_t n_offsets = r.get<uint64_t>();
  if (r.ok() && (n_offsets > static_cast<uint64_t>(kMaxEstimators) + 1 || n_offsets > r.remaining() / sizeof(uint32_t)))
    r.fail("tree offset count " + std::to_string(n_offsets) + " exceeds the blob");
  if (r.ok()) {
    forest.tree_offsets_.resize(n_offsets);
    for (auto& o : forest.tree_offsets_) o = r.get<uint32_t>();
  }
  const uint64_t n_nodes = r.get<uint64_t>();
  if (r.ok() && n_nodes > r.remaining() / sizeof(Node))
    r.fail("node count " + std::to_string(n_nodes) + " exceeds the blob");
  if (r.ok()) {
    forest.nodes_.resize(n_nodes);
    for (auto& node : forest.nodes_) {
      node.feature = r.get<int32_t>();
      node.value = r.get<float>();
      node.right = r.get<uint32_t>();
    }
  }
  if (Status s = r.finish(); !s.ok()) return s;

  auto bad = [](const std::string& why) { return Status::Invalid("AL-IFOREST blob: " + why); };
  if (forest.n_features_ == 0 || forest.n_features_ > static_cast<uint32_t>(std::numeric_limits<int32_t>::max()))
    return bad("feature count " + std::to_string(forest.n_features_) + " out of range");
  if (forest.sample_size_ == 0 || forest.sample_size_ > std::numeric_limits<uint32_t>::max())
    return bad("sample size " + std::to_string(forest.sample_size_) + " out of range");
  const auto& offsets = forest.tree_offsets_;
  const auto& nodes = forest.nodes_;
  if (offsets.size() < 2 || offsets.front() != 0 || offsets.back() != nodes.size())
    return bad("tree offsets do not cover the nodes");
  for (size_t t = 0; t + 1 < offsets.size(); ++t)
    if (offsets[t + 1] <= offsets[t]) return bad("tree " + std::to_string(t) + " is empty or out of order");
  forest.c_psi_ = average_path_length(forest.sample_size_);
  // A leaf's path length is its depth (at most psi - 1 and max_depth) plus c(size <= psi);
  // the bound keeps a doctored leaf from pushing scores to 0 or inf.
  const double max_leaf =
      static_cast<double>(std::min<uint64_t>(forest.sample_size_ - 1, kMaxDepth)) + forest.c_psi_ + 1.0;
  // Every node index only ever moves forward and stays inside its own tree, so scoring
  // terminates and never reads out of bounds, whatever the blob says.
  for (size_t t = 0; t + 1 < offsets.size(); ++t) {
    const uint32_t begin = offsets[t], end = offsets[t + 1];
    for (uint32_t i = begin; i < end; ++i) {
      const Node& node = nodes[i];
      if (node.feature == kLeaf) {
        if (!(node.value >= 0.f && node.value <= max_leaf))
          return bad("leaf " + std::to_string(i) + " has an invalid path length");
      } else if (node.feature < 0 || static_cast<uint32_t>(node.feature) >= forest.n_features_) {
        return bad("node " + std::to_string(i) + " splits on feature " + std::to_string(node.feature) +
                   " of " + std::to_string(forest.n_features_));
      } else if (!std::isfinite(node.value)) {
        return bad("node " + std::to_string(i) + " has a non-finite threshold");
      } else if (i + 1 >= end || node.right <= i + 1 || node.right >= end) {
        return bad("node " + std::to_string(i) + " has children outside its tree");
      }
    }
  }
  return forest;
}

}  // namespace agentlearn::ml
