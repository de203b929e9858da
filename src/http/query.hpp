#pragma once
// The request target's escapes and query string, decoded: untrusted text from the request
// head, parsed without recursion and refused when malformed or not UTF-8.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentlearn::http {

using Params = std::vector<std::pair<std::string, std::string>>;

// Splits "a=1&b=x%20y" into decoded pairs; nullopt on a malformed escape or invalid UTF-8,
// with the parameter to blame in `*bad_key` when its name could be decoded.
std::optional<Params> parse_query(std::string_view query, std::string* bad_key = nullptr);
// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt on a malformed escape
// or when the decoded bytes are not UTF-8.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

}  // namespace agentlearn::http
