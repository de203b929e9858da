#include "core/bounded_json.hpp"

#include <fmt/format.h>

namespace agentlearn {

int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '{':
      case '[':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > limit) return deepest;
        }
        break;
      case '}':
      case ']':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return deepest;
}

StatusOr<nlohmann::json> parse_bounded_json(std::string_view text, std::string_view what, std::string_view field,
                                            int max_depth) {
  if (json_nesting_depth(text, max_depth) > max_depth) {
    return Status::Invalid(fmt::format("{} is nested deeper than {} levels", what, max_depth), std::string(field));
  }
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::Invalid(fmt::format("{} is not valid JSON (or not UTF-8)", what), std::string(field))
        .with_reason("invalid_json");
  }
  return parsed;
}

}  // namespace agentlearn
