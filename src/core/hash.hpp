#pragma once
// A stable 128-bit content hash (two multiply-xorshift lanes over 64-bit words), printed as
// 32 hex digits. Stable
// across builds and platforms, unlike std::hash, because it is stored with the data.
#include <cstdint>
#include <string>
#include <string_view>

namespace agentlearn {

class ContentHasher {
 public:
  // Each field is length-prefixed, so ("ab","c") and ("a","bc") differ.
  void add(std::string_view field);
  void add_tag(char tag) { add(std::string_view(&tag, 1)); }
  std::string hex() const;
  // The two lanes folded to 64 bits, for keys (not for content identity: use hex()).
  uint64_t digest64() const;

 private:
  void mix(const void* data, size_t n);
  uint64_t a_ = 14695981039346656037ull;
  uint64_t b_ = 0x9ae16a3b2f90404full;
};

// A stable 64-bit hash of one string (ContentHasher's digest64), for keys: a task's key, a
// text's cache slot.
uint64_t hash64(std::string_view text);

// SplitMix64's output function (Steele, Lea & Flood 2014): a bijective mix spreading every
// input bit over all 64. The ML code's random generator is built on it (ml/splitmix64.hpp).
inline uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The ML code's stable string hash: seeded FNV-1a, one byte at a time, then splitmix64_mix
// (FNV's low bits are weak for power-of-two bucket counts). Feature hashing, per-text random
// seeds, the held-out split and model blob checksums depend on its values, which saved models
// keep: it must stay bit-identical, and it is not hash64 (another algorithm, other values).
uint64_t stable_hash64(std::string_view s, uint64_t seed = 0);

}  // namespace agentlearn
