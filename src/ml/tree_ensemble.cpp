#include "ml/tree_ensemble.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

namespace agentlearn::ml {

StatusOr<TreeEnsemble> TreeEnsemble::from_xgboost_json(std::string_view json) {
  TreeEnsemble e;
  try {
    auto doc = nlohmann::json::parse(json);
    const auto& learner = doc.at("learner");
    const auto& param = learner.at("learner_model_param");
    const std::string objective = learner.at("objective").at("name").get<std::string>();
    if (objective == "binary:logistic") {
      e.logistic_ = true;
    } else if (objective != "reg:squarederror") {
      return Status::Invalid("tree ensemble: unsupported objective " + objective);
    }
    const float base = std::stof(param.at("base_score").get<std::string>());
    // XGBoost keeps base_score in output space; the margin of a logistic model is its logit.
    e.base_margin_ = e.logistic_ ? -std::log(1.0f / base - 1.0f) : base;
    e.features_ = std::stoul(param.at("num_feature").get<std::string>());
    const auto& booster = learner.at("gradient_booster");
    if (booster.at("name").get<std::string>() != "gbtree") return Status::Invalid("tree ensemble: not a gbtree model");
    for (const auto& tree : booster.at("model").at("trees")) {
      const auto& left = tree.at("left_children");
      const auto& right = tree.at("right_children");
      const auto& feature = tree.at("split_indices");
      const auto& condition = tree.at("split_conditions");
      const auto& default_left = tree.at("default_left");
      const auto& split_type = tree.at("split_type");
      const size_t n = left.size();
      if (n == 0 || right.size() != n || feature.size() != n || condition.size() != n || default_left.size() != n) {
        return Status::Invalid("tree ensemble: malformed tree");
      }
      const auto offset = static_cast<int32_t>(e.nodes_.size());
      for (size_t i = 0; i < n; ++i) {
        if (!split_type.empty() && split_type[i].get<int>() != 0) {
          return Status::Invalid("tree ensemble: categorical splits are not supported");
        }
        int32_t l = left[i].get<int32_t>(), r = right[i].get<int32_t>();
        Node node;
        node.value = condition[i].get<float>();
        node.default_left = default_left[i].get<int>() != 0;
        if (l < 0) {
          node.feature = -1;
          node.left = node.right = -1;
        } else {
          // Children after their parent and inside the tree: every walk ends.
          if (l <= static_cast<int32_t>(i) || r <= static_cast<int32_t>(i) || l >= static_cast<int32_t>(n) ||
              r >= static_cast<int32_t>(n)) {
            return Status::Invalid("tree ensemble: child index out of order");
          }
          node.feature = feature[i].get<int32_t>();
          if (node.feature < 0 || static_cast<size_t>(node.feature) >= e.features_) {
            return Status::Invalid("tree ensemble: split feature out of range");
          }
          node.left = offset + l;
          node.right = offset + r;
        }
        e.nodes_.push_back(node);
      }
      e.roots_.push_back(offset);
    }
  } catch (const std::exception& ex) {
    return Status::Invalid(std::string("tree ensemble: cannot read the XGBoost model: ") + ex.what());
  }
  return e;
}

float TreeEnsemble::finish(float margin) const { return logistic_ ? 1.0f / (1.0f + std::exp(-margin)) : margin; }

float TreeEnsemble::predict(std::span<const float> row) const {
  float margin = base_margin_;
  for (int32_t root : roots_) margin += leaf_of(root, row.data()).value;
  return finish(margin);
}

void TreeEnsemble::predict(const float* data, size_t rows, float* out) const {
  for (size_t r = 0; r < rows; ++r) out[r] = base_margin_;
  for (int32_t root : roots_) {
    for (size_t r = 0; r < rows; ++r) out[r] += leaf_of(root, data + r * features_).value;
  }
  for (size_t r = 0; r < rows; ++r) out[r] = finish(out[r]);
}

}  // namespace agentlearn::ml
