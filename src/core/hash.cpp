#include "core/hash.hpp"

#include <cstdio>

namespace agentlearn {

void ContentHasher::mix(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    a_ = (a_ ^ p[i]) * 1099511628211ull;
    b_ = (b_ ^ p[i]) * 0x100000001b3ull;
    b_ ^= b_ >> 29;
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

}  // namespace agentlearn
