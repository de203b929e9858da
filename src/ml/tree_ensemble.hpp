#pragma once
// A trained XGBoost model's trees in flat arrays, for prediction. XGBoost's own prediction
// call costs about 20 us before it walks a tree (array-interface parsing, thread-local
// buffers): a third of a recommendation's model compute (docs/models.md). The trees come
// from XGBoost's JSON model and are walked exactly as XGBoost walks them (go left when
// value < threshold, a missing value follows the node's default direction, leaves summed
// onto the base margin in tree order, then the objective's transform); a unit test holds
// the two to the same predictions.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace agentlearn::ml {

class TreeEnsemble {
 public:
  // From XGBoost's JSON model (XGBoosterSaveModelToBuffer with format json). Objectives:
  // binary:logistic (probabilities) and reg:squarederror; numeric splits only.
  static StatusOr<TreeEnsemble> from_xgboost_json(std::string_view json);

  // The model's output for one row of feature_count() values (NaN = missing).
  float predict(std::span<const float> row) const;
  // The same for `rows` rows stored row-major at `data` into `out`, tree by tree: all rows
  // walk one tree while its nodes are in cache (a forest is megabytes, more than L2), and
  // each row's leaves are summed in tree order, so results equal predict()'s bit for bit.
  void predict(const float* data, size_t rows, float* out) const;
  size_t feature_count() const { return features_; }
  size_t tree_count() const { return roots_.size(); }

 private:
  struct Node {
    int32_t feature;  // -1 for a leaf
    float value;      // split threshold, or the leaf's value
    int32_t left;     // child indices into nodes_ (absolute)
    int32_t right;
    bool default_left;
  };
  const Node& leaf_of(int32_t root, const float* row) const {
    const Node* n = &nodes_[static_cast<size_t>(root)];
    while (n->feature >= 0) {
      const float v = row[static_cast<size_t>(n->feature)];
      const bool go_left = v != v ? n->default_left : v < n->value;  // v != v: NaN, missing
      n = &nodes_[static_cast<size_t>(go_left ? n->left : n->right)];
    }
    return *n;
  }
  float finish(float margin) const;
  std::vector<Node> nodes_;
  std::vector<int32_t> roots_;
  float base_margin_ = 0;
  bool logistic_ = false;
  size_t features_ = 0;
};

}  // namespace agentlearn::ml
