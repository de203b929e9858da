#pragma once
// SplitMix64 (Steele, Lea & Flood 2014): the one random generator and 64-bit mixer of the ML
// code. Tiny state, good bits, cheap to seed from a text hash, and the same numbers on every
// platform, unlike <random>'s distributions, whose outputs the standard leaves to the
// library: a model trained with a seed must be the same everywhere.
#include <cstdint>
#include <limits>

#include "core/hash.hpp"

namespace agentlearn::ml {

// The generator's output function (core/hash.hpp: stable_hash64 ends in it too).
using agentlearn::splitmix64_mix;

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() { return splitmix64_mix(state_ += 0x9e3779b97f4a7c15ull); }
  uint32_t next32() { return static_cast<uint32_t>(next() >> 32); }
  // Uniform in [0, 1) with 24 random bits (a float's precision).
  float unit_float() { return static_cast<float>(next() >> 40) * 0x1p-24f; }
  // Uniform in [0, 1) with 53 random bits.
  double unit_double() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n), n > 0, by multiply-shift of 32 bits: fastest, bias below 2^-32 * n.
  uint32_t below32(uint32_t n) { return static_cast<uint32_t>((uint64_t{next32()} * n) >> 32); }
  // Uniform in [0, n), n > 0, by multiply-shift of 64 bits (Lemire).
  uint64_t below64(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }
  // Uniform in [0, n), n > 0, exactly (rejection).
  uint64_t below_unbiased(uint64_t n) {
    const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }

 private:
  uint64_t state_;
};

}  // namespace agentlearn::ml
