#include "ml/tokenizer.hpp"

#include "ml/splitmix64.hpp"

namespace agentlearn::ml {

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) {
      if (cur.size() > kMaxTokenBytes) cur.resize(kMaxTokenBytes);
      out.push_back(std::move(cur));
      cur.clear();
    }
  };
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') {
      cur.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      cur.push_back(ch);
    } else {
      flush();
    }
  }
  flush();
  return out;
}

uint64_t stable_hash64(std::string_view s, uint64_t seed) {
  uint64_t h = 14695981039346656037ull ^ (seed * 0x9e3779b97f4a7c15ull);
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  // splitmix64's mix: FNV's low bits are weak for power-of-two bucket counts.
  return splitmix64_mix(h);
}

}  // namespace agentlearn::ml
