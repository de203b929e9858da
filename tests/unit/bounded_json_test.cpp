#include "core/bounded_json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace agentlearn {
namespace {

std::string nested_arrays(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

TEST(BoundedJsonTest, CountsNestingWithoutLookingInsideStrings) {
  EXPECT_EQ(json_nesting_depth("1"), 0);
  EXPECT_EQ(json_nesting_depth("{}"), 1);
  EXPECT_EQ(json_nesting_depth(R"({"a":[1,{"b":[]}],"c":{}})"), 4);
  EXPECT_EQ(json_nesting_depth(R"({"a":"[[[[{{{{"})"), 1);
  EXPECT_EQ(json_nesting_depth(R"({"a":"\"[[[[","b":[]})"), 2);  // an escaped quote does not end the string
  EXPECT_EQ(json_nesting_depth(R"(["\\",[[]]])"), 3);            // an escaped backslash does
  EXPECT_EQ(json_nesting_depth("]]]]["), 1);                     // not JSON: still a number, never negative
}

TEST(BoundedJsonTest, StopsCountingPastTheLimit) {
  EXPECT_EQ(json_nesting_depth(nested_arrays(1000000), 10), 11);
  EXPECT_EQ(json_nesting_depth(nested_arrays(10), 10), 10);
}

TEST(BoundedJsonTest, RefusesTooDeepBeforeParsingAndNamesTheField) {
  auto deep = parse_bounded_json(nested_arrays(100000), "request body", "body");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().field(), "body");
  EXPECT_EQ(deep.status().message(), "request body is nested deeper than 32 levels");
  auto at_limit = parse_bounded_json(nested_arrays(kMaxJsonDepth), "request body", "body");
  ASSERT_TRUE(at_limit.ok());
  EXPECT_TRUE(at_limit->is_array());
  auto over = parse_bounded_json(nested_arrays(kMaxJsonDepth + 1), "request body", "body");
  EXPECT_FALSE(over.ok());
}

TEST(BoundedJsonTest, InvalidJsonAndInvalidUtf8AreInvalidJson) {
  for (std::string bad : {std::string("{"), std::string("{\"a\":}"), std::string("\"\xff\""), std::string()}) {
    auto r = parse_bounded_json(bad, "context", "context");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().reason(), "invalid_json");
    EXPECT_EQ(r.status().field(), "context");
  }
  auto ok = parse_bounded_json(R"({"a":[1,2,{"b":"c"}]})", "x", "x");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["a"][2]["b"], "c");
}

}  // namespace
}  // namespace agentlearn
