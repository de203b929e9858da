#include "core/hash.hpp"

#include <cstdio>

namespace agentlearn {

namespace {
constexpr uint64_t kMulA = 0xff51afd7ed558ccdull;
constexpr uint64_t kMulB = 0x9e3779b97f4a7c15ull;
}  // namespace

// Eight bytes a step (little-endian words, whatever the machine), two lanes with different
// multipliers; a short tail is one more word that carries its length in the top byte.
// About 8x faster than FNV-1a one byte at a time, which was a fifth of the ingest thread.
void ContentHasher::mix(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  auto step = [this](uint64_t w) {
    a_ = (a_ ^ w) * kMulA;
    a_ ^= a_ >> 32;
    b_ = (b_ ^ w) * kMulB;
    b_ ^= b_ >> 29;
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w = 0;
    for (int k = 7; k >= 0; --k) w = (w << 8) | p[i + static_cast<size_t>(k)];
    step(w);
  }
  if (i < n) {
    uint64_t w = static_cast<uint64_t>(n - i) << 56;
    for (size_t k = 0; i + k < n; ++k) w |= static_cast<uint64_t>(p[i + k]) << (8 * k);
    step(w);
  }
}

void ContentHasher::add(std::string_view field) {
  uint64_t n = field.size();
  unsigned char le[8];
  for (int i = 0; i < 8; ++i, n >>= 8) le[i] = static_cast<unsigned char>(n & 0xff);
  mix(le, sizeof le);
  mix(field.data(), field.size());
}

std::string ContentHasher::hex() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a_),
                static_cast<unsigned long long>(b_));
  return buf;
}

uint64_t hash64(std::string_view text) {
  ContentHasher h;
  h.add(text);
  return h.digest64();
}

uint64_t stable_hash64(std::string_view s, uint64_t seed) {
  uint64_t h = 14695981039346656037ull ^ (seed * 0x9e3779b97f4a7c15ull);
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return splitmix64_mix(h);
}

uint64_t ContentHasher::digest64() const {
  uint64_t h = a_ ^ (b_ * kMulB);
  h ^= h >> 31;
  return h;
}

}  // namespace agentlearn
