#include "core/json_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/json_text.hpp"

namespace agentlearn {
namespace {

TEST(JsonWriter, PlacesCommasAndNests) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.member("a", 1).member("b", "x");
  w.key("c").begin_array().integer(1).begin_object().end_object().begin_array().end_array().null().end_array();
  w.member("d", true).member("e", std::optional<std::string>()).member("f", std::optional<double>(2.5));
  w.key("g").raw(R"({"k":[1,2]})");
  w.end_object();
  EXPECT_EQ(out, R"({"a":1,"b":"x","c":[1,{},[],null],"d":true,"e":null,"f":2.5,"g":{"k":[1,2]}})");
  EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded());
}

TEST(JsonWriter, NumbersJsonCannotCarryAreNull) {
  // A sum that overflowed once made the answers "mean_cost_usd":inf, which no parser reads.
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.number(std::numeric_limits<double>::infinity()).number(-std::numeric_limits<double>::infinity());
  w.number(std::numeric_limits<double>::quiet_NaN()).number(1e308).number(-0.5).unsigned_integer(UINT64_MAX);
  w.end_array();
  EXPECT_EQ(out, "[null,null,null,1e+308,-0.5,18446744073709551615]");
  EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded());
}

TEST(JsonWriter, StringsAreEscapedAndInvalidUtf8Replaced) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().member(std::string_view("k\"\xff"), std::string_view("v\n\x01\xfe")).end_object();
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j.begin().key(), "k\"\xEF\xBF\xBD");
  EXPECT_EQ(j.begin().value(), "v\n\x01\xEF\xBF\xBD");
}

}  // namespace
}  // namespace agentlearn

namespace agentlearn {
namespace {

TEST(JsonText, ATreeWithInvalidUtf8AndNonFiniteNumbersIsStillValidJson) {
  nlohmann::json j = {{"name", std::string("agent-\xff\xfe")}, {"score", std::nan("")},
                      {"cost", std::numeric_limits<double>::infinity()}};
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error) << "what json_text is for";
  const std::string text = json_text(j);
  auto back = nlohmann::json::parse(text);
  EXPECT_EQ(back["name"], "agent-\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(back["score"].is_null());
  EXPECT_TRUE(back["cost"].is_null());
  EXPECT_EQ(json_text(nlohmann::json{{"a", 1}}, 2), "{\n  \"a\": 1\n}");
}

}  // namespace
}  // namespace agentlearn
