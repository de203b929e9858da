#pragma once
// An nlohmann::json tree as text, the one way the service and the CLI turn a tree into JSON:
// invalid UTF-8 in a string becomes U+FFFD (nlohmann's default dump() throws on it, which in a
// request handler was a 500 and in the trainer a failed run), and NaN and infinities come out
// as null (nlohmann's own rule, as JsonWriter's). Answers built field by field use JsonWriter.
#include <nlohmann/json.hpp>

#include <string>

namespace agentlearn {

// Minified when `indent` is negative, else pretty-printed with that many spaces.
std::string json_text(const nlohmann::json& j, int indent = -1);

}  // namespace agentlearn
