#include "core/latency_sketch.hpp"

#include <algorithm>
#include <cmath>

namespace agentlearn {

namespace {

const double kLogGamma = std::log(LatencySketch::kGamma);

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool get_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Bins a sketch may hold: 1e-6 s to 1e12 s is about 2,100 bins of ratio 1.02; anything
// wider in an encoded sketch is corrupt.
constexpr int32_t kMinIndex = -2000;
constexpr int32_t kMaxIndex = 4000;

}  // namespace

int32_t LatencySketch::index_of(double value) {
  double i = std::ceil(std::log(value) / kLogGamma);
  return static_cast<int32_t>(std::clamp(i, static_cast<double>(kMinIndex), static_cast<double>(kMaxIndex)));
}

double LatencySketch::value_of(int32_t index) {
  return 2.0 * std::pow(kGamma, static_cast<double>(index)) / (kGamma + 1.0);
}

void LatencySketch::add_bin(int32_t index, uint64_t count) {
  if (bins_.empty()) {
    offset_ = index;
    bins_.assign(1, 0);
  } else if (index < offset_) {
    bins_.insert(bins_.begin(), static_cast<size_t>(offset_ - index), 0);
    offset_ = index;
  } else if (static_cast<size_t>(index - offset_) >= bins_.size()) {
    bins_.resize(static_cast<size_t>(index - offset_) + 1, 0);
  }
  bins_[static_cast<size_t>(index - offset_)] += count;
  count_ += count;
}

void LatencySketch::add(double value, uint64_t count) {
  if (count == 0) return;
  if (!(value > kMinPositive)) {  // also NaN
    zero_ += count;
    count_ += count;
    return;
  }
  add_bin(index_of(value), count);
}

void LatencySketch::merge(const LatencySketch& other) {
  if (other.count_ == 0) return;
  zero_ += other.zero_;
  count_ += other.zero_;
  if (other.bins_.empty()) return;
  // Grow once to cover both ranges, then add.
  add_bin(other.offset_, 0);
  add_bin(other.offset_ + static_cast<int32_t>(other.bins_.size()) - 1, 0);
  const size_t at = static_cast<size_t>(other.offset_ - offset_);
  for (size_t i = 0; i < other.bins_.size(); ++i) bins_[at + i] += other.bins_[i];
  for (uint64_t c : other.bins_) count_ += c;
}

Status LatencySketch::merge_encoded(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  uint64_t zero = 0, n = 0;
  std::string_view in = bytes;
  if (!get_varint(in, zero) || !get_varint(in, n) || n > static_cast<uint64_t>(kMaxIndex - kMinIndex + 1)) {
    return Status::Invalid("corrupt latency sketch");
  }
  // Decode into a scratch list first so a corrupt tail adds nothing.
  thread_local std::vector<std::pair<int32_t, uint64_t>> scratch;
  scratch.clear();
  int64_t index = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t d = 0, c = 0;
    if (!get_varint(in, d) || !get_varint(in, c)) return Status::Invalid("corrupt latency sketch");
    index += unzigzag(d);
    if (index < kMinIndex || index > kMaxIndex) return Status::Invalid("corrupt latency sketch");
    scratch.emplace_back(static_cast<int32_t>(index), c);
  }
  if (!in.empty()) return Status::Invalid("corrupt latency sketch");
  zero_ += zero;
  count_ += zero;
  if (!scratch.empty()) {
    add_bin(scratch.front().first, 0);  // indexes ascend: grow to both ends once
    add_bin(scratch.back().first, 0);
    for (auto [i, c] : scratch) {
      bins_[static_cast<size_t>(i - offset_)] += c;
      count_ += c;
    }
  }
  return Status::Ok();
}

std::string LatencySketch::encode() const {
  std::string out;
  size_t nonzero = 0;
  for (uint64_t c : bins_) nonzero += c != 0;
  out.reserve(4 + nonzero * 3);
  put_varint(out, zero_);
  put_varint(out, nonzero);
  int64_t prev = 0;
  for (size_t i = 0; i < bins_.size(); ++i) {
    if (bins_[i] == 0) continue;
    const int64_t index = offset_ + static_cast<int64_t>(i);
    put_varint(out, zigzag(index - prev));
    put_varint(out, bins_[i]);
    prev = index;
  }
  return out;
}

void LatencySketch::clear() {
  zero_ = count_ = 0;
  offset_ = 0;
  bins_.clear();
}

double LatencySketch::value_at_rank(uint64_t rank) const {
  if (rank < zero_) return 0;
  uint64_t seen = zero_;
  for (size_t i = 0; i < bins_.size(); ++i) {
    seen += bins_[i];
    if (rank < seen) return value_of(offset_ + static_cast<int32_t>(i));
  }
  return bins_.empty() ? 0 : value_of(offset_ + static_cast<int32_t>(bins_.size()) - 1);
}

double LatencySketch::quantile(double q) const {
  if (count_ == 0) return 0;
  const double pos = q * static_cast<double>(count_ - 1);
  const auto lo = static_cast<uint64_t>(std::floor(pos));
  const uint64_t hi = std::min(lo + 1, count_ - 1);
  const double frac = pos - static_cast<double>(lo);
  const double a = value_at_rank(lo);
  if (frac == 0) return a;
  const double b = value_at_rank(hi);
  return a + (b - a) * frac;
}

}  // namespace agentlearn
