#pragma once
// Untrusted JSON text into nlohmann::json with its nesting bounded before anything is built.
// nlohmann's parser is iterative, but much of what follows a parse is not: copying, dump(),
// comparing and any depth count walk a value recursively, so a body nested 100,000 levels
// deep (600 KB, under every size limit) would overflow the stack there. The depth is counted
// here in one pass over the text, without recursion, and text deeper than the bound is
// refused before it is parsed.
#include <nlohmann/json.hpp>

#include <string_view>

#include "core/status.hpp"

namespace agentlearn {

// Request bodies, query parameters, imported lines and CLI files: deep enough for every
// document the service reads (an execution's context is at most 8 levels inside its record),
// shallow enough that a recursive walk of it costs nothing.
inline constexpr int kMaxJsonDepth = 32;

// The deepest nesting of arrays and objects in `text`, counted up to `limit + 1` (the count
// stops there): brackets inside strings do not count. Text that is not JSON still gets a
// number; the parser decides validity.
int json_nesting_depth(std::string_view text, int limit = kMaxJsonDepth);

// Parses `text` as JSON. Invalid JSON (or invalid UTF-8) and text nested deeper than
// `max_depth` are Invalid errors naming `field`, worded with `what` ("request body"); the
// first has reason "invalid_json".
StatusOr<nlohmann::json> parse_bounded_json(std::string_view text, std::string_view what, std::string_view field,
                                            int max_depth = kMaxJsonDepth);

}  // namespace agentlearn
