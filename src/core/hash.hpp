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

}  // namespace agentlearn
