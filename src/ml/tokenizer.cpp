#include "ml/tokenizer.hpp"

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

}  // namespace agentlearn::ml
