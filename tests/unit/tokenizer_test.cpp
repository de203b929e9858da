#include "ml/tokenizer.hpp"

#include <gtest/gtest.h>

namespace agentlearn::ml {
namespace {

TEST(Tokenizer, LowercasesAndSplitsOnPunctuation) {
  EXPECT_EQ(tokenize("Fix the CSV-export, when field_2 is empty!"),
            (std::vector<std::string>{"fix", "the", "csv", "export", "when", "field", "2", "is", "empty"}));
}

TEST(Tokenizer, EmptyAndSeparatorOnlyTextsGiveNoTokens) {
  EXPECT_TRUE(tokenize("").empty());
  EXPECT_TRUE(tokenize(" \t\n.,;()").empty());
}

TEST(Tokenizer, KeepsUtf8WordsAndCutsHugeTokens) {
  EXPECT_EQ(tokenize("Größe ändern"), (std::vector<std::string>{"größe", "ändern"}));
  auto t = tokenize(std::string(1000, 'a'));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].size(), kMaxTokenBytes);
}

TEST(StableHash, IsStableAndSeedDependent) {
  // Serialized models depend on these values: a change here breaks stored models.
  EXPECT_EQ(stable_hash64("agent"), stable_hash64("agent"));
  EXPECT_NE(stable_hash64("agent"), stable_hash64("agenT"));
  EXPECT_NE(stable_hash64("agent", 1), stable_hash64("agent", 2));
  EXPECT_EQ(stable_hash64(""), stable_hash64("", 0));
}

}  // namespace
}  // namespace agentlearn::ml
