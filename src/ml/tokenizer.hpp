#pragma once
// Word tokens of a task text, shared by every text model (Doc2Vec, the task classifier's
// vectorizer, the feature builder) so that they all see the same words.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.hpp"

namespace agentlearn::ml {

// Lower-cased runs of ASCII letters and digits, plus any UTF-8 multi-byte sequences (kept
// as word characters, so non-English words survive). Everything else separates words.
// Tokens longer than kMaxTokenBytes are cut to that length.
inline constexpr size_t kMaxTokenBytes = 64;
std::vector<std::string> tokenize(std::string_view text);

// A stable 64-bit hash of a string, for feature hashing and for seeding per-text random
// state: core/hash.hpp's, whose values serialized models depend on.
using agentlearn::stable_hash64;

}  // namespace agentlearn::ml
