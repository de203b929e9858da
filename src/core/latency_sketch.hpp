#pragma once
// A mergeable quantile sketch for execution times (DDSketch-style): values are counted in
// logarithmic bins of ratio kGamma, so any quantile it answers is within kRelativeError of a
// value of that rank, whatever the distribution, and two sketches merge by adding bin
// counts (exactly: merging is associative and order-free). Values <= kMinPositive count as 0.
//
// Encoding (what the store keeps per analytics cell): varint zero count, varint number of
// non-empty bins, then per bin the zigzag varint delta of its index from the previous bin's
// (the first from 0) and its varint count. A one-value sketch is 4-5 bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace agentlearn {

class LatencySketch {
 public:
  static constexpr double kGamma = 1.02;
  // (gamma - 1) / (gamma + 1): the largest relative distance of a bin's representative value
  // from any value in the bin.
  static constexpr double kRelativeError = (kGamma - 1) / (kGamma + 1);
  static constexpr double kMinPositive = 1e-6;

  void add(double value, uint64_t count = 1);
  void merge(const LatencySketch& other);
  // Adds an encoded sketch into this one; kInvalidArgument (nothing added) if malformed.
  Status merge_encoded(std::string_view bytes);
  std::string encode() const;
  void clear();

  uint64_t count() const { return count_; }
  // The q-th quantile (0..1) with numpy's linear interpolation between the representative
  // values of the two closest ranks. 0 for an empty sketch.
  double quantile(double q) const;

  // The bin a value falls in, and that bin's representative value.
  static int32_t index_of(double value);
  static double value_of(int32_t index);

 private:
  void add_bin(int32_t index, uint64_t count);
  // The value of the element of rank `rank` (0-based, in sorted order).
  double value_at_rank(uint64_t rank) const;

  uint64_t zero_ = 0;
  uint64_t count_ = 0;
  int32_t offset_ = 0;          // index of bins_[0]
  std::vector<uint64_t> bins_;  // dense from offset_
};

}  // namespace agentlearn
