// ContentHasher: the hash is stored with the data (content_hash), so its values are pinned
// here; a change of algorithm must fail this test rather than silently break idempotency.
#include "core/hash.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace agentlearn {
namespace {

std::string hash_of(std::initializer_list<std::string_view> fields) {
  ContentHasher h;
  for (auto f : fields) h.add(f);
  return h.hex();
}

// Reference values computed independently (Python, from the algorithm's description: fields
// prefixed by their length as a little-endian uint64; 8-byte little-endian words, a short
// tail word with its length in the top byte; two lanes: (x ^ w) * 0xff51afd7ed558ccd then
// x ^= x >> 32, and (x ^ w) * 0x9e3779b97f4a7c15 then x ^= x >> 29).
TEST(ContentHasher, KnownValuesAreStable) {
  EXPECT_EQ(ContentHasher{}.hex(), "cbf29ce4842223259ae16a3b2f90404f");
  EXPECT_EQ(hash_of({""}), "edaee4328b798493164381953fcd86d7");
  EXPECT_EQ(hash_of({"agentlearn"}), "d402b15b539526be998e2ff1173948eb");
  EXPECT_EQ(hash_of({"hello", "world"}), "5d06d8d3d76890cc3956a631a79b4085");
}

// stable_hash64 keys the features of saved models: its values are pinned too (computed in
// Python from seeded FNV-1a, 64-bit, then SplitMix64's finaliser).
TEST(StableHash64, KnownValuesAreStable) {
  EXPECT_EQ(stable_hash64(""), 0xf52a15e9a9b5e89bull);
  EXPECT_EQ(stable_hash64("agent"), 0x602bc473890b20e3ull);
  EXPECT_EQ(stable_hash64("agent", 11), 0x89037c6c8fe9711bull);
  EXPECT_EQ(stable_hash64("Fix the crash in the CSV export", 7), 0x98f292151d5ce901ull);
}

TEST(ContentHasher, HexIs32LowerCaseHexDigits) {
  std::string h = hash_of({"x"});
  ASSERT_EQ(h.size(), 32u);
  for (char c : h) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << h;
}

TEST(ContentHasher, DeterministicAcrossInstances) {
  EXPECT_EQ(hash_of({"a", "b", "c"}), hash_of({"a", "b", "c"}));
  ContentHasher h;
  h.add("a");
  EXPECT_EQ(h.hex(), h.hex()) << "hex() must not change the state";
}

TEST(ContentHasher, FieldsAreLengthPrefixed) {
  EXPECT_NE(hash_of({"ab", "c"}), hash_of({"a", "bc"}));
  EXPECT_NE(hash_of({"abc"}), hash_of({"ab", "c"}));
  EXPECT_NE(hash_of({"", "a"}), hash_of({"a", ""}));
  EXPECT_NE(hash_of({"a"}), hash_of({"a", ""})) << "an extra empty field must count";
  EXPECT_NE(ContentHasher{}.hex(), hash_of({""}));
}

TEST(ContentHasher, OrderMatters) { EXPECT_NE(hash_of({"a", "b"}), hash_of({"b", "a"})); }

TEST(ContentHasher, AddTagIsAOneByteField) {
  ContentHasher a, b;
  a.add_tag('x');
  b.add("x");
  EXPECT_EQ(a.hex(), b.hex());
}

TEST(ContentHasher, BinaryAndNulBytesCount) {
  std::string with_nul("a\0b", 3);
  EXPECT_NE(hash_of({with_nul}), hash_of({"ab"}));
  EXPECT_NE(hash_of({std::string("\0", 1)}), hash_of({""}));
}

TEST(ContentHasher, NoCollisionsAmongManySmallInputs) {
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) seen.insert(hash_of({std::to_string(i)}));
  EXPECT_EQ(seen.size(), 5000u);
}

}  // namespace
}  // namespace agentlearn
