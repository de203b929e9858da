#pragma once
// Isolation Forest (Liu, Ting & Zhou, ICDM 2008): anomalies are few and different, so random
// axis-parallel splits isolate them in fewer steps than normal points. The anomaly_detector
// of the model set; it scores every execution at ingest, so scoring is allocation-free and
// walks flat node arrays.
//
// Missing values (NaN) are never used to place a split: a node's split range is the
// [min, max) of its finite values. A row goes left when value <= threshold, so NaN (and
// +inf) always goes RIGHT, in training and in scoring alike.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ml/dense_matrix.hpp"

namespace agentlearn::ml {

struct IsolationForestParams {
  int n_estimators = 100;
  int max_samples = 256;  // subsample size psi per tree (min(psi, n) when n is smaller)
  int max_depth = 0;      // 0: ceil(log2(psi)) as in the paper
  uint64_t seed = 42;
};

// c(n): the average path length of an unsuccessful search in a binary search tree of n
// points, 2 H(n-1) - 2 (n-1) / n with H(i) ~ ln(i) + Euler's gamma; c(2) = 1, c(n <= 1) = 0
// (as scikit-learn). It normalises path lengths and stands in for the unbuilt subtree below
// a leaf that still holds n samples.
double average_path_length(uint64_t n);

class IsolationForest {
 public:
  // Builds n_estimators trees, each on psi rows drawn without replacement. InvalidArgument
  // for 0 rows, 0 columns or out-of-range params. Deterministic given params.seed.
  static StatusOr<IsolationForest> train(const DenseMatrix& rows, const IsolationForestParams& p);

  // The paper's s(x, psi) = 2^(-E[h(x)] / c(psi)), in (0, 1]; higher is more anomalous,
  // about 0.5 or below is normal. h(x) includes c(size) at leaves holding several samples.
  // When psi is 1 nothing can be learned and every row scores 0.5 (as scikit-learn).
  // row.size() must equal feature_count() (asserted). Const, thread-safe, allocation-free.
  double score(std::span<const float> row) const;
  std::vector<double> score_batch(const DenseMatrix& rows) const;

  size_t feature_count() const { return n_features_; }
  size_t tree_count() const { return tree_offsets_.empty() ? 0 : tree_offsets_.size() - 1; }
  // psi actually used: min(max_samples, training rows).
  size_t sample_size() const { return sample_size_; }
  // Nodes over all trees (12 bytes each): the model's size.
  size_t node_count() const { return nodes_.size(); }

  std::string serialize() const;
  // Refuses blobs of another kind or version, truncated or trailing bytes, and any node
  // array that does not form valid trees (so a hostile blob cannot make score() read out
  // of bounds or loop).
  static StatusOr<IsolationForest> deserialize(std::string_view blob);

 private:
  // One node of a tree, 12 bytes. Trees are stored in preorder, so an internal node's left
  // child is the next node and only the right child's index is kept.
  struct Node {
    int32_t feature;  // split feature, or kLeaf
    float value;      // internal: threshold (value <= threshold goes left); leaf: depth + c(size)
    uint32_t right;   // internal: index of the right child in nodes_; leaf: 0
  };
  static_assert(sizeof(Node) == 12, "nodes are serialized as raw bytes");
  static constexpr int32_t kLeaf = -1;

  IsolationForest() = default;

  uint32_t n_features_ = 0;
  uint64_t sample_size_ = 0;
  double c_psi_ = 0.0;                  // average_path_length(sample_size_), the normaliser
  std::vector<uint32_t> tree_offsets_;  // tree t is nodes_[tree_offsets_[t], tree_offsets_[t+1])
  std::vector<Node> nodes_;
};

}  // namespace agentlearn::ml
