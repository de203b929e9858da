#pragma once
// A row-major matrix of floats: the shape in which feature rows travel between the feature
// builder and the tabular models (XGBoost's dense input, the Isolation Forest). Missing
// values are NaN.
#include <cassert>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace agentlearn::ml {

inline constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

class DenseMatrix {
 public:
  DenseMatrix() = default;
  DenseMatrix(size_t rows, size_t cols, float fill = 0.f) : rows_(rows), cols_(cols), values_(rows * cols, fill) {}

  size_t rows() const { return rows_; }
  // A copy of the listed columns, in that order.
  DenseMatrix columns(std::span<const size_t> which) const {
    DenseMatrix out(rows_, which.size());
    for (size_t i = 0; i < rows_; ++i) {
      auto from = row(i);
      auto to = out.row(i);
      for (size_t j = 0; j < which.size(); ++j) to[j] = from[which[j]];
    }
    return out;
  }
  size_t cols() const { return cols_; }
  bool empty() const { return rows_ == 0; }
  std::span<float> row(size_t r) {
    assert(r < rows_);
    return {values_.data() + r * cols_, cols_};
  }
  std::span<const float> row(size_t r) const {
    assert(r < rows_);
    return {values_.data() + r * cols_, cols_};
  }
  float& at(size_t r, size_t c) { return values_[r * cols_ + c]; }
  float at(size_t r, size_t c) const { return values_[r * cols_ + c]; }
  // Appends a row; the first row fixes the width of an empty matrix.
  void push_row(std::span<const float> row) {
    if (rows_ == 0 && cols_ == 0) cols_ = row.size();
    assert(row.size() == cols_);
    values_.insert(values_.end(), row.begin(), row.end());
    ++rows_;
  }
  const float* data() const { return values_.data(); }
  float* data() { return values_.data(); }

 private:
  size_t rows_ = 0;
  size_t cols_ = 0;
  std::vector<float> values_;
};

}  // namespace agentlearn::ml
