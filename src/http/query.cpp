#include "http/query.hpp"

#include <simdjson.h>

namespace agentlearn::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  // Decoded text goes into answers and the store as text: bytes that are not UTF-8 would
  // make both invalid.
  if (!simdjson::validate_utf8(out.data(), out.size())) return std::nullopt;
  return out;
}

std::optional<Params> parse_query(std::string_view query, std::string* bad_key) {
  Params out;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(pos, end - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq), true);
      auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
      if (!key || !value) {
        if (key && bad_key) *bad_key = std::move(*key);
        return std::nullopt;
      }
      out.emplace_back(std::move(*key), std::move(*value));
    }
    if (end == query.size()) break;
    pos = end + 1;
  }
  return out;
}

}  // namespace agentlearn::http
