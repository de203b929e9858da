// Execution records from and to JSON: every validation rule with the field it blames, the
// content hash behind idempotent retries, the batch parsers (JSON and NDJSON), and the
// round trip through execution_to_json. docs/api.md "Validation of an execution" is the contract.
#include "core/execution_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "core/json_writer.hpp"
#include "core/time.hpp"

namespace agentlearn {
namespace {

using Json = nlohmann::ordered_json;

constexpr int64_t kNow = 1763942400'000000;  // 2025-11-24T00:00:00Z, the time of receipt

// A minimal valid record.
Json minimal() {
  return Json{{"agent_id", "agent-a"}, {"task_id", "task-1"}, {"execution_time", 12.5}, {"success", true}};
}

// A record with every member the API knows.
Json full() {
  Json j = minimal();
  j["task_description"] = "Fix the flaky test\n\tin the scheduler";
  j["task_type"] = "debugging";
  j["execution_id"] = "exec-1";
  j["recommendation_id"] = "rec-1";
  j["context"] = Json{{"difficulty", "hard"}, {"repo", Json{{"name", "x"}, {"stars", 5}}}};
  j["metrics"] = Json{{"tokens_in", 100}, {"cost_usd", 0.25}};
  j["timestamp"] = "2025-11-24T09:30:00.250+02:00";
  return j;
}

StatusOr<Execution> parse(const Json& j, int64_t received = kNow) { return parse_execution(j.dump(), received); }

// Expects the record to be refused with `field` blamed; returns the message.
std::string refused(const Json& j, const std::string& field) {
  auto r = parse(j);
  EXPECT_FALSE(r.ok()) << j.dump();
  if (r.ok()) return {};
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << j.dump();
  EXPECT_EQ(r.status().field(), field) << j.dump() << " -> " << r.status().message();
  EXPECT_FALSE(r.status().message().empty());
  return r.status().message();
}

void accepted(const Json& j) {
  auto r = parse(j);
  EXPECT_TRUE(r.ok()) << j.dump().substr(0, 300) << " -> " << r.status().field() << ": " << r.status().message();
}

std::string hash(const Json& j, int64_t received = kNow) {
  auto r = parse(j, received);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->content_hash : std::string();
}

// An object nested `levels` deep, counting itself: nested(1) is {"k":1}.
Json nested(int levels) {
  Json j = Json{{"k", 1}};
  for (int i = 1; i < levels; ++i) j = Json{{"k", j}};
  return j;
}

const char* const kIdFields[] = {"agent_id", "task_id", "task_type", "execution_id", "recommendation_id"};
const char* const kStringFields[] = {"agent_id",     "task_id",          "task_type",
                                     "execution_id", "recommendation_id", "task_description"};

// ---------------------------------------------------------------------------------------
// Accepted records

TEST(ParseExecution, MinimalRecordGetsDefaults) {
  auto r = parse(minimal());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->agent_id, "agent-a");
  EXPECT_EQ(r->task_id, "task-1");
  EXPECT_DOUBLE_EQ(r->execution_time, 12.5);
  EXPECT_TRUE(r->success);
  EXPECT_FALSE(r->task_description);
  EXPECT_FALSE(r->task_type);
  EXPECT_FALSE(r->execution_id);
  EXPECT_FALSE(r->recommendation_id);
  EXPECT_EQ(r->context_json, "{}");
  EXPECT_EQ(r->metrics_json, "{}");
  EXPECT_FALSE(r->cost_usd);
  EXPECT_EQ(r->timestamp_us, kNow);
  EXPECT_TRUE(r->timestamp_defaulted);
  EXPECT_EQ(r->content_hash.size(), 32u);
}

TEST(ParseExecution, FullRecordKeepsEveryField) {
  auto r = parse(full());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->task_description, "Fix the flaky test\n\tin the scheduler");
  EXPECT_EQ(r->task_type, "debugging");
  EXPECT_EQ(r->execution_id, "exec-1");
  EXPECT_EQ(r->recommendation_id, "rec-1");
  EXPECT_EQ(r->context_json, R"({"difficulty":"hard","repo":{"name":"x","stars":5}})");
  EXPECT_EQ(r->metrics_json, R"({"tokens_in":100,"cost_usd":0.25})");
  ASSERT_TRUE(r->cost_usd);
  EXPECT_DOUBLE_EQ(*r->cost_usd, 0.25);
  EXPECT_EQ(r->timestamp_us, kNow + (7 * 3600 + 1800) * int64_t{1000000} + 250000);
  EXPECT_FALSE(r->timestamp_defaulted);
}

TEST(ParseExecution, SuccessFalseAndIntegerTime) {
  Json j = minimal();
  j["success"] = false;
  j["execution_time"] = 14;
  auto r = parse(j);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->success);
  EXPECT_DOUBLE_EQ(r->execution_time, 14.0);
}

TEST(ParseExecution, ContextAndMetricsAreStoredMinified) {
  auto r = parse_execution(
      R"({ "agent_id" : "a", "task_id":"t", "execution_time": 1, "success": true,
           "context" : { "a" : [ 1, 2, { "b" : null } ] , "s": "x y" },
           "metrics": {  } })",
      kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->context_json, R"({"a":[1,2,{"b":null}],"s":"x y"})");
  EXPECT_EQ(r->metrics_json, "{}");
}

TEST(ParseExecution, UnknownMembersAreIgnored) {
  Json j = minimal();
  j["extra"] = Json{{"nested", Json::array({1, 2})}};
  j["agentId"] = 5;
  j["weird\u0001key"] = "x";
  accepted(j);
  EXPECT_EQ(hash(j), hash(minimal())) << "unknown members are not content";
}

TEST(ParseExecution, NonAsciiUtf8IdsAreAccepted) {
  Json j = minimal();
  j["agent_id"] = "агент-🤖";
  j["task_type"] = "中文/タスク";
  auto r = parse(j);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->agent_id, "агент-🤖");
}

// ---------------------------------------------------------------------------------------
// Required members

TEST(ParseExecution, RequiredMembersMissing) {
  for (const char* field : {"agent_id", "task_id", "execution_time", "success"}) {
    Json j = minimal();
    j.erase(field);
    std::string msg = refused(j, field);
    EXPECT_NE(msg.find("required"), std::string::npos) << msg;
  }
}

TEST(ParseExecution, RequiredMembersNullAreMissing) {
  for (const char* field : {"agent_id", "task_id", "execution_time", "success"}) {
    Json j = minimal();
    j[field] = nullptr;
    std::string msg = refused(j, field);
    EXPECT_NE(msg.find("required"), std::string::npos) << msg;
  }
}

TEST(ParseExecution, FirstProblemIsReportedInMemberOrder) {
  // Both agent_id and success are bad; agent_id is checked first.
  Json j = minimal();
  j.erase("agent_id");
  j["success"] = "yes";
  refused(j, "agent_id");
}

// ---------------------------------------------------------------------------------------
// Types

TEST(ParseExecution, WrongTypesAreRefusedNotCoerced) {
  struct Case {
    const char* field;
    Json value;
    const char* expected;  // part of the message
  };
  const std::vector<Case> cases = {
      {"agent_id", 5, "must be a string, got a number"},
      {"agent_id", true, "got a boolean"},
      {"task_id", Json::array(), "got an array"},
      {"task_id", Json::object(), "got an object"},
      {"execution_time", "14", "must be a number, got a string"},
      {"execution_time", true, "must be a number"},
      {"success", 1, "must be a boolean, got a number"},
      {"success", "true", "must be a boolean, got a string"},
      {"task_description", 5, "must be a string"},
      {"task_type", Json::array({"a"}), "must be a string"},
      {"execution_id", 17, "must be a string"},
      {"recommendation_id", false, "must be a string"},
      {"context", Json::array(), "must be an object, got an array"},
      {"context", "{}", "must be an object, got a string"},
      {"metrics", 5, "must be an object, got a number"},
      {"metrics", Json::array({Json::object()}), "must be an object"},
      {"timestamp", 1732406400, "RFC 3339"},
      {"timestamp", true, "RFC 3339"},
  };
  for (const auto& c : cases) {
    Json j = minimal();
    j[c.field] = c.value;
    std::string msg = refused(j, c.field);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.field << ": " << msg;
  }
}

// ---------------------------------------------------------------------------------------
// Strings: empty, control characters, lengths

TEST(ParseExecution, EmptyStringsAreRefusedEverywhere) {
  for (const char* field : kStringFields) {
    Json j = minimal();
    j[field] = "";
    std::string msg = refused(j, field);
    EXPECT_NE(msg.find("must not be empty"), std::string::npos) << msg;
  }
}

TEST(ParseExecution, IdsRefuseEveryControlCharacter) {
  for (const char* field : kIdFields) {
    for (std::string bad : {std::string("a\nb"), std::string("a\tb"), std::string("a\rb"), std::string("\x01"),
                            std::string("a\x1f"), std::string("a\x7f"), std::string("a\0b", 3)}) {
      Json j = minimal();
      j[field] = bad;
      std::string msg = refused(j, field);
      EXPECT_NE(msg.find("control characters"), std::string::npos) << msg;
    }
  }
}

TEST(ParseExecution, IdsAcceptSpacesAndPunctuation) {
  for (const char* field : kIdFields) {
    Json j = minimal();
    j[field] = " a b/c:d\"e'f\\g ";
    accepted(j);
  }
}

TEST(ParseExecution, DescriptionAllowsTabAndLineBreaksOnly) {
  Json j = minimal();
  j["task_description"] = "line one\r\nline two\tcolumn";
  accepted(j);
  for (std::string bad : {std::string("a\x01"), std::string("a\x0b"), std::string("a\x1b[0m"), std::string("a\x7f"),
                          std::string("a\0b", 3)}) {
    j["task_description"] = bad;
    refused(j, "task_description");
  }
}

TEST(ParseExecution, IdLengthLimitIs256Bytes) {
  ASSERT_EQ(ExecutionLimits::kMaxIdBytes, 256u);
  for (const char* field : kIdFields) {
    Json j = minimal();
    j[field] = std::string(256, 'x');
    accepted(j);
    j[field] = std::string(257, 'x');
    std::string msg = refused(j, field);
    EXPECT_NE(msg.find("256"), std::string::npos) << msg;
  }
}

TEST(ParseExecution, IdLengthCountsUtf8Bytes) {
  Json j = minimal();
  std::string s;
  for (int i = 0; i < 128; ++i) s += "é";  // 2 bytes each: 256 bytes
  j["agent_id"] = s;
  accepted(j);
  j["agent_id"] = s + "x";
  refused(j, "agent_id");
}

TEST(ParseExecution, DescriptionLengthLimitIs64KiB) {
  ASSERT_EQ(ExecutionLimits::kMaxDescriptionBytes, 65536u);
  Json j = minimal();
  j["task_description"] = std::string(65536, 'd');
  accepted(j);
  j["task_description"] = std::string(65537, 'd');
  refused(j, "task_description");
}

// ---------------------------------------------------------------------------------------
// execution_time

TEST(ParseExecution, ExecutionTimeRange) {
  Json j = minimal();
  for (Json ok : {Json(0), Json(0.0), Json(1e-9), Json(1e9), Json(1000000000), Json(999999999.999)}) {
    j["execution_time"] = ok;
    accepted(j);
  }
  for (Json bad : {Json(-1), Json(-0.001), Json(1e9 + 1), Json(1000000001), Json(1e300),
                   Json(18446744073709551615ull)}) {
    j["execution_time"] = bad;
    std::string msg = refused(j, "execution_time");
    EXPECT_NE(msg.find("between 0 and"), std::string::npos) << msg;
  }
}

TEST(ParseExecution, NumberTooLargeForJsonIsABodyError) {
  auto r = parse_execution(R"({"agent_id":"a","task_id":"t","execution_time":1e999,"success":true})", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "body");
}

// ---------------------------------------------------------------------------------------
// context and metrics

TEST(ParseExecution, NestingDepthEightIsAcceptedNineRefused) {
  ASSERT_EQ(ExecutionLimits::kMaxObjectDepth, 8);
  for (const char* field : {"context", "metrics"}) {
    Json j = minimal();
    j[field] = nested(8);
    accepted(j);
    j[field] = nested(9);
    std::string msg = refused(j, field);
    EXPECT_NE(msg.find("nested deeper than 8"), std::string::npos) << msg;
  }
}

TEST(ParseExecution, ArraysCountAsNestingLevels) {
  // context (1) > "a" array (2) > ... : 8 levels in all is fine, 9 is not.
  Json inner = Json::array({1});
  for (int i = 0; i < 6; ++i) inner = Json::array({inner});  // 7 array levels
  Json j = minimal();
  j["context"] = Json{{"a", inner}};
  accepted(j);
  j["context"] = Json{{"a", Json::array({inner})}};
  refused(j, "context");
}

TEST(ParseExecution, VeryDeepNestingIsRefusedWithoutCrashing) {
  std::string deep;
  for (int i = 0; i < 500; ++i) deep += "{\"k\":";
  deep += "1";
  for (int i = 0; i < 500; ++i) deep += "}";
  auto r = parse_execution(R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"context":)" + deep +
                               "}",
                           kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "context");
}

TEST(ParseExecution, EmptyNestedContainersCountAsLevels) {
  Json j = minimal();
  Json e = Json::object();
  for (int i = 1; i < 8; ++i) e = Json{{"k", e}};  // 8 objects, the innermost empty
  j["context"] = e;
  accepted(j);
  j["context"] = Json{{"k", e}};
  refused(j, "context");
}

TEST(ParseExecution, ObjectSizeLimitIsOnMinifiedBytes) {
  ASSERT_EQ(ExecutionLimits::kMaxObjectBytes, 65536u);
  // {"k":"..."}: 8 bytes of syntax around the string.
  for (const char* field : {"context", "metrics"}) {
    Json j = minimal();
    j[field] = Json{{"k", std::string(65536 - 8, 'v')}};
    accepted(j);
    j[field] = Json{{"k", std::string(65536 - 7, 'v')}};
    std::string msg = refused(j, field);
    EXPECT_NE(msg.find("65536"), std::string::npos) << msg;
  }
  // Whitespace in the request does not count.
  std::string padded = R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"context":{    "k"   :   ")" +
                       std::string(65536 - 8, 'v') + "\"    }}";
  EXPECT_TRUE(parse_execution(padded, kNow).ok());
}

TEST(ParseExecution, NullContextAndMetricsAreAbsent) {
  Json j = minimal();
  j["context"] = nullptr;
  j["metrics"] = nullptr;
  auto r = parse(j);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->context_json, "{}");
  EXPECT_EQ(r->metrics_json, "{}");
  EXPECT_EQ(r->content_hash, hash(minimal()));
}

// ---------------------------------------------------------------------------------------
// metrics.cost_usd

TEST(ParseExecution, CostUsdValues) {
  Json j = minimal();
  for (auto [value, expected] : std::vector<std::pair<Json, double>>{{0, 0.0}, {0.0, 0.0}, {2, 2.0}, {0.0125, 0.0125},
                                                                     {1e6, 1e6}}) {
    j["metrics"] = Json{{"cost_usd", value}};
    auto r = parse(j);
    ASSERT_TRUE(r.ok()) << value.dump();
    ASSERT_TRUE(r->cost_usd);
    EXPECT_DOUBLE_EQ(*r->cost_usd, expected);
  }
}

TEST(ParseExecution, CostUsdInvalid) {
  Json j = minimal();
  // Negative, and past a million dollars a run: 1e308 is finite, but two of them summed were
  // infinity, which the answers then carried as invalid JSON.
  for (Json bad : {Json(-0.01), Json(-1), Json(1e6 + 1), Json(1e308)}) {
    j["metrics"] = Json{{"tokens_in", 1}, {"cost_usd", bad}};
    std::string msg = refused(j, "metrics.cost_usd");
    EXPECT_NE(msg.find("from 0 to 1e+06"), std::string::npos) << msg;
  }
  for (Json bad : {Json("0.1"), Json(true), Json::array({1}), Json::object()}) {
    j["metrics"] = Json{{"cost_usd", bad}};
    std::string msg = refused(j, "metrics.cost_usd");
    EXPECT_NE(msg.find("must be a number"), std::string::npos) << msg;
  }
}

TEST(ParseExecution, TokenCountsAreWholeAndBounded) {
  Json j = minimal();
  for (const char* name : {"tokens_in", "tokens_out", "input_tokens", "output_tokens", "total_tokens"}) {
    j["metrics"] = Json{{name, 1200}};
    EXPECT_TRUE(parse(j).ok()) << name;
    j["metrics"] = Json{{name, nullptr}};
    EXPECT_TRUE(parse(j).ok()) << name;
    for (Json bad : {Json(-1), Json(1.5), Json(1e11), Json(1e308)}) {
      j["metrics"] = Json{{name, bad}};
      std::string msg = refused(j, std::string("metrics.") + name);
      EXPECT_NE(msg.find("whole number from 0 to 1e+10"), std::string::npos) << msg;
    }
    j["metrics"] = Json{{name, "12"}};
    refused(j, std::string("metrics.") + name);
  }
  // Other members are not checked.
  j["metrics"] = Json{{"score", -1e300}, {"api_calls", 1.5}};
  EXPECT_TRUE(parse(j).ok());
}

TEST(ParseExecution, CostUsdAbsentOrNull) {
  Json j = minimal();
  j["metrics"] = Json{{"cost_usd", nullptr}, {"tokens_in", 3}};
  auto r = parse(j);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->cost_usd);
  EXPECT_EQ(r->metrics_json, R"({"cost_usd":null,"tokens_in":3})");

  j["metrics"] = Json{{"tokens_in", 3}};
  r = parse(j);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->cost_usd);

  // Only metrics.cost_usd counts: not one in context, not a nested one.
  j["metrics"] = Json{{"detail", Json{{"cost_usd", -5}}}};
  j["context"] = Json{{"cost_usd", "free"}};
  r = parse(j);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->cost_usd);
}

// ---------------------------------------------------------------------------------------
// timestamp

TEST(ParseExecution, Timestamps) {
  Json j = minimal();
  j["timestamp"] = "2025-11-24T00:00:00Z";
  auto r = parse(j, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->timestamp_us, kNow);
  EXPECT_FALSE(r->timestamp_defaulted);

  j["timestamp"] = "2025-11-24T00:00:00.000001Z";
  r = parse(j, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->timestamp_us, kNow + 1);

  j["timestamp"] = nullptr;
  r = parse(j, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->timestamp_us, 5);
  EXPECT_TRUE(r->timestamp_defaulted);
}

TEST(ParseExecution, InvalidTimestamps) {
  for (const char* bad : {"", "2025-11-24", "2025-11-24T00:00:00", "2025-02-29T00:00:00Z", "2025-11-24T24:00:00Z",
                          "yesterday", "1732406400"}) {
    Json j = minimal();
    j["timestamp"] = bad;
    std::string msg = refused(j, "timestamp");
    EXPECT_NE(msg.find("RFC 3339"), std::string::npos) << msg;
  }
}

// ---------------------------------------------------------------------------------------
// Bodies that are not a record

TEST(ParseExecution, NotJsonBlamesTheBody) {
  for (std::string bad : {std::string(""), std::string("{"), std::string("not json"),
                          std::string(R"({"agent_id":"a",})"), std::string(R"({"agent_id":"a"} trailing)"),
                          std::string("{\"agent_id\":\"\xff\"}")}) {
    auto r = parse_execution(bad, kNow);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().field(), "body") << bad;
    EXPECT_NE(r.status().message().find("not valid JSON"), std::string::npos) << r.status().message();
  }
}

// docs/api.md: "A body that is JSON but not an object, e.g. an array, gives 400 with field body."
TEST(ParseExecution, JsonThatIsNotAnObjectBlamesTheBody) {
  for (const char* bad : {"[]", "[{}]", "\"record\"", "5", "null", "true"}) {
    auto r = parse_execution(bad, kNow);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("must be a JSON object"), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().field(), "body") << bad;
  }
}

// ---------------------------------------------------------------------------------------
// content_hash

TEST(ContentHash, KnownValueIsStable) {
  // Stored with the data: a change here breaks idempotent retries of stored records.
  // Computed independently from the documented recipe (see hash_test.cpp).
  auto r = parse_execution(
      R"({"agent_id":"a","task_id":"t","execution_time":1.5,"success":true,"timestamp":"2025-01-01T00:00:00Z"})", kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->content_hash, "6e0cd1bc0eddc60ec3d7e6e2381e46f2");
}

TEST(ContentHash, EqualForIdenticalContent) {
  EXPECT_EQ(hash(full()), hash(full()));
  EXPECT_EQ(hash(full(), 1), hash(full(), 2)) << "an explicit timestamp ignores the time of receipt";
}

TEST(ContentHash, IgnoresFormattingAndTopLevelOrder) {
  Json reordered;
  Json f = full();
  for (auto it = f.rbegin(); it != f.rend(); ++it) reordered[it.key()] = it.value();
  EXPECT_EQ(hash(reordered), hash(full()));
  auto pretty = parse_execution(f.dump(2), kNow);
  ASSERT_TRUE(pretty.ok());
  EXPECT_EQ(pretty->content_hash, hash(full()));
}

TEST(ContentHash, ExecutionTimeIsComparedByValue) {
  auto a = parse_execution(R"({"agent_id":"a","task_id":"t","execution_time":14,"success":true})", kNow);
  auto b = parse_execution(R"({"agent_id":"a","task_id":"t","execution_time":14.0,"success":true})", kNow);
  auto c = parse_execution(R"({"agent_id":"a","task_id":"t","execution_time":1.4e1,"success":true})", kNow);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->content_hash, b->content_hash);
  EXPECT_EQ(a->content_hash, c->content_hash);
}

TEST(ContentHash, TimestampsAreComparedAsInstants) {
  Json a = minimal(), b = minimal();
  a["timestamp"] = "2025-11-24T09:30:00Z";
  b["timestamp"] = "2025-11-24T11:30:00+02:00";
  EXPECT_EQ(hash(a), hash(b));
}

TEST(ContentHash, DiffersWhenAnySentFieldDiffers) {
  const std::string base = hash(full());
  std::vector<std::pair<std::string, Json>> changes = {
      {"agent_id", "agent-b"},
      {"task_id", "task-2"},
      {"execution_time", 12.500001},
      {"success", false},
      {"task_description", "Fix the flaky test"},
      {"task_type", "testing"},
      {"execution_id", "exec-2"},
      {"recommendation_id", "rec-2"},
      {"context", Json{{"difficulty", "easy"}}},
      {"metrics", Json{{"tokens_in", 101}, {"cost_usd", 0.25}}},
      {"metrics", Json{{"tokens_in", 100}, {"cost_usd", 0.26}}},
      {"timestamp", "2025-11-24T09:30:00.251+02:00"},
  };
  std::set<std::string> seen = {base};
  for (auto& [field, value] : changes) {
    Json j = full();
    j[field] = value;
    std::string h = hash(j);
    EXPECT_NE(h, base) << field;
    EXPECT_TRUE(seen.insert(h).second) << field << " collides with another change";
  }
  // Leaving an optional member out is a change too.
  for (const char* field :
       {"task_description", "task_type", "execution_id", "recommendation_id", "context", "metrics", "timestamp"}) {
    Json j = full();
    j.erase(field);
    std::string h = hash(j);
    EXPECT_NE(h, base) << field;
    EXPECT_TRUE(seen.insert(h).second) << field;
  }
}

TEST(ContentHash, SameTextInDifferentOptionalMembersDiffers) {
  Json a = minimal(), b = minimal(), c = minimal();
  a["task_type"] = "x";
  b["execution_id"] = "x";
  c["recommendation_id"] = "x";
  EXPECT_NE(hash(a), hash(b));
  EXPECT_NE(hash(b), hash(c));
  EXPECT_NE(hash(a), hash(c));
  Json d = minimal(), e = minimal();
  d["agent_id"] = "ab";
  d["task_id"] = "c";
  e["agent_id"] = "a";
  e["task_id"] = "bc";
  EXPECT_NE(hash(d), hash(e));
}

TEST(ContentHash, IgnoresADefaultedTimestamp) {
  EXPECT_EQ(hash(minimal(), 1), hash(minimal(), 2'000'000'000'000'000));
}

TEST(ContentHash, IncludesAnExplicitTimestamp) {
  Json j = minimal();
  j["timestamp"] = format_rfc3339(kNow);
  // Sent explicitly, even the very instant of receipt counts as content.
  EXPECT_NE(hash(j, kNow), hash(minimal(), kNow));
  Json later = minimal();
  later["timestamp"] = format_rfc3339(kNow + 1);
  EXPECT_NE(hash(j), hash(later));
}

TEST(ContentHash, NullOptionalsHashLikeAbsentOnes) {
  Json j = minimal();
  for (const char* field : {"task_description", "task_type", "execution_id", "recommendation_id", "context",
                            "metrics", "timestamp"}) {
    j[field] = nullptr;
  }
  EXPECT_EQ(hash(j), hash(minimal()));
}

// ---------------------------------------------------------------------------------------
// Batches: {"records":[...]}

std::string records_body(const std::vector<Json>& records) {
  Json body = Json::object();
  body["records"] = Json::array();
  for (auto& r : records) body["records"].push_back(r);
  return body.dump();
}

Json numbered(int i) {
  Json j = minimal();
  j["task_id"] = "task-" + std::to_string(i);
  j["execution_id"] = "exec-" + std::to_string(i);
  return j;
}

TEST(ParseBatchJson, ValidBatchKeepsOrder) {
  auto batch = parse_batch_json(records_body({numbered(0), numbered(1), numbered(2)}), kNow, 10);
  ASSERT_TRUE(batch.status.ok()) << batch.status.message();
  EXPECT_TRUE(batch.errors.empty());
  ASSERT_EQ(batch.records.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(batch.records[i].task_id, "task-" + std::to_string(i));
    EXPECT_EQ(batch.records[i].timestamp_us, kNow);
    EXPECT_TRUE(batch.records[i].timestamp_defaulted);
    EXPECT_EQ(batch.records[i].content_hash, hash(numbered(i)));
  }
}

TEST(ParseBatchJson, EveryBadRecordIsListedAndNoneKept) {
  Json no_agent = numbered(1);
  no_agent.erase("agent_id");
  Json bad_time = numbered(3);
  bad_time["execution_time"] = -1;
  Json bad_cost = numbered(4);
  bad_cost["metrics"] = Json{{"cost_usd", "x"}};
  auto batch = parse_batch_json(records_body({numbered(0), no_agent, numbered(2), bad_time, bad_cost, Json::array()}),
                                kNow, 100);
  EXPECT_TRUE(batch.status.ok());
  EXPECT_TRUE(batch.records.empty()) << "all or nothing";
  ASSERT_EQ(batch.errors.size(), 4u);
  EXPECT_EQ(batch.errors[0].index, 1u);
  EXPECT_EQ(batch.errors[0].field, "agent_id");
  EXPECT_EQ(batch.errors[0].message, "agent_id is required");
  EXPECT_EQ(batch.errors[1].index, 3u);
  EXPECT_EQ(batch.errors[1].field, "execution_time");
  EXPECT_EQ(batch.errors[2].index, 4u);
  EXPECT_EQ(batch.errors[2].field, "metrics.cost_usd");
  EXPECT_EQ(batch.errors[3].index, 5u);
  EXPECT_FALSE(batch.errors[3].message.empty());
}

// docs/api.md: "A record that is not an object has field body".
TEST(ParseBatchJson, RecordThatIsNotAnObjectBlamesBody) {
  auto batch = parse_batch_json(R"({"records":[5]})", kNow, 10);
  ASSERT_EQ(batch.errors.size(), 1u);
  EXPECT_EQ(batch.errors[0].index, 0u);
  EXPECT_EQ(batch.errors[0].field, "body");
}

TEST(ParseBatchJson, BodyLevelErrors) {
  struct Case {
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"", "body"},
      {"{\"records\":[", "body"},
      {"[]", "body"},  // docs/api.md: field "body" when the body as a whole is wrong
      {"{}", "records"},
      {R"({"record":[]})", "records"},
      {R"({"records":null})", "records"},
      {R"({"records":{}})", "records"},
      {R"({"records":"x"})", "records"},
      {R"({"records":[]})", "records"},
  };
  for (const auto& c : cases) {
    auto batch = parse_batch_json(c.body, kNow, 10);
    EXPECT_FALSE(batch.status.ok()) << c.body;
    EXPECT_EQ(batch.status.code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(batch.status.field(), c.field) << c.body << ": " << batch.status.message();
    EXPECT_TRUE(batch.records.empty());
    EXPECT_TRUE(batch.errors.empty());
  }
}

TEST(ParseBatchJson, RecordLimit) {
  std::vector<Json> five;
  for (int i = 0; i < 5; ++i) five.push_back(numbered(i));
  auto at = parse_batch_json(records_body(five), kNow, 5);
  EXPECT_TRUE(at.status.ok());
  EXPECT_EQ(at.records.size(), 5u);
  auto over = parse_batch_json(records_body(five), kNow, 4);
  EXPECT_FALSE(over.status.ok());
  EXPECT_EQ(over.status.field(), "records");
  EXPECT_NE(over.status.message().find("limit is 4"), std::string::npos) << over.status.message();
  EXPECT_TRUE(over.records.empty());
}

TEST(ParseBatchJson, UnknownTopLevelMembersAreIgnored) {
  auto batch = parse_batch_json(R"({"source":"ci","records":[{"agent_id":"a","task_id":"t","execution_time":1,"success":true}]})",
                                kNow, 10);
  EXPECT_TRUE(batch.status.ok());
  EXPECT_EQ(batch.records.size(), 1u);
}

// ---------------------------------------------------------------------------------------
// Batches: NDJSON

TEST(ParseBatchNdjson, OneRecordPerLine) {
  std::string body = numbered(0).dump() + "\n" + numbered(1).dump() + "\n" + numbered(2).dump();
  auto batch = parse_batch_ndjson(body, kNow, 10);
  ASSERT_TRUE(batch.status.ok()) << batch.status.message();
  ASSERT_EQ(batch.records.size(), 3u);
  EXPECT_EQ(batch.records[2].task_id, "task-2");
  EXPECT_EQ(batch.records[1].content_hash, hash(numbered(1)));
}

TEST(ParseBatchNdjson, BlankLinesCrLfAndTrailingNewline) {
  std::string body = "\n  \t\r\n" + numbered(0).dump() + "\r\n\r\n\n" + numbered(1).dump() + "  \t\r\n   " +
                     numbered(2).dump() + "\n\n";
  auto batch = parse_batch_ndjson(body, kNow, 10);
  ASSERT_TRUE(batch.status.ok()) << batch.status.message();
  EXPECT_TRUE(batch.errors.empty());
  ASSERT_EQ(batch.records.size(), 3u);
  EXPECT_EQ(batch.records[0].task_id, "task-0");
  EXPECT_EQ(batch.records[2].task_id, "task-2");
}

TEST(ParseBatchNdjson, ErrorsIndexNonBlankLines) {
  Json bad = numbered(2);
  bad["success"] = "yes";
  std::string body = numbered(0).dump() + "\n\n{not json\n\r\n" + bad.dump() + "\n" + numbered(3).dump() +
                     "\n[1,2]\n";
  auto batch = parse_batch_ndjson(body, kNow, 10);
  EXPECT_TRUE(batch.status.ok());
  EXPECT_TRUE(batch.records.empty()) << "all or nothing";
  ASSERT_EQ(batch.errors.size(), 3u);
  EXPECT_EQ(batch.errors[0].index, 1u);
  EXPECT_EQ(batch.errors[0].field, "");
  EXPECT_NE(batch.errors[0].message.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(batch.errors[1].index, 2u);
  EXPECT_EQ(batch.errors[1].field, "success");
  EXPECT_EQ(batch.errors[2].index, 4u);
}

TEST(ParseBatchNdjson, TwoRecordsOnOneLineAreNotJson) {
  auto batch = parse_batch_ndjson(numbered(0).dump() + numbered(1).dump(), kNow, 10);
  ASSERT_EQ(batch.errors.size(), 1u);
  EXPECT_EQ(batch.errors[0].index, 0u);
  EXPECT_TRUE(batch.records.empty());
}

TEST(ParseBatchNdjson, EmptyBodies) {
  for (std::string body : {std::string(""), std::string("\n"), std::string(" \r\n\t\n\n")}) {
    auto batch = parse_batch_ndjson(body, kNow, 10);
    EXPECT_FALSE(batch.status.ok());
    EXPECT_EQ(batch.status.field(), "records");
    EXPECT_TRUE(batch.records.empty());
  }
}

TEST(ParseBatchNdjson, RecordLimitCountsNonBlankLines) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += numbered(i).dump() + "\n\n";
  auto at = parse_batch_ndjson(body, kNow, 5);
  EXPECT_TRUE(at.status.ok()) << at.status.message();
  EXPECT_EQ(at.records.size(), 5u);
  auto over = parse_batch_ndjson(body, kNow, 4);
  EXPECT_FALSE(over.status.ok());
  EXPECT_EQ(over.status.field(), "records");
  EXPECT_TRUE(over.records.empty());
}

// ---------------------------------------------------------------------------------------
// execution_to_json

TEST(ExecutionToJson, RoundTripsToTheSameHash) {
  Json tricky = full();
  tricky["agent_id"] = "агент \"quoted\" \\ back/slash 🤖";
  tricky["task_description"] = "tab\there\r\nnew \"line\" \\ \u00e9";
  tricky["context"] = Json{{"q", "it's \"x\"\n"}, {"n", Json::array({1, 2.5, nullptr, true})}};
  tricky["execution_time"] = 0.1 + 0.2;
  for (const Json& j : {minimal(), full(), tricky}) {
    auto first = parse(j, kNow);
    ASSERT_TRUE(first.ok()) << first.status().message();
    std::string text = execution_to_json(*first);
    auto second = parse_execution(text, kNow);
    ASSERT_TRUE(second.ok()) << text << ": " << second.status().message();
    EXPECT_EQ(second->content_hash, first->content_hash) << text;
    EXPECT_EQ(second->agent_id, first->agent_id);
    EXPECT_EQ(second->task_description, first->task_description);
    EXPECT_EQ(second->execution_time, first->execution_time);
    EXPECT_EQ(second->context_json, first->context_json);
    EXPECT_EQ(second->metrics_json, first->metrics_json);
    EXPECT_EQ(second->cost_usd, first->cost_usd);
    EXPECT_EQ(second->timestamp_us, first->timestamp_us);
    EXPECT_EQ(second->timestamp_defaulted, first->timestamp_defaulted);
  }
}

TEST(ExecutionToJson, DefaultedTimestampIsLeftOut) {
  auto e = parse(minimal(), kNow);
  ASSERT_TRUE(e.ok());
  std::string text = execution_to_json(*e);
  EXPECT_EQ(text.find("timestamp"), std::string::npos) << text;
  auto later = parse_execution(text, kNow + 5'000'000);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->content_hash, e->content_hash);
}

TEST(ExecutionToJson, ExplicitTimestampsKeepMicrosecondsAndSign) {
  for (int64_t ts : {kNow + 1, kNow + 999'999, int64_t{-1}, int64_t{-86'400'000'001}, int64_t{0}}) {
    Execution e;
    e.agent_id = "a";
    e.task_id = "t";
    e.execution_time = 1;
    e.timestamp_us = ts;
    std::string text = execution_to_json(e);
    auto back = parse_execution(text, kNow);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(back->timestamp_us, ts) << text;
    EXPECT_FALSE(back->timestamp_defaulted);
  }
}

TEST(ExecutionToJson, ExtremeExecutionTimesRoundTrip) {
  for (double t : {0.0, 1e-7, 123.456789012345, 1e9, 5e-324, 999999999.99999988}) {
    Execution e;
    e.agent_id = "a";
    e.task_id = "t";
    e.execution_time = t;
    e.timestamp_defaulted = true;
    std::string text = execution_to_json(e);
    auto back = parse_execution(text, kNow);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status().message();
    EXPECT_EQ(back->execution_time, t) << text;
  }
}

TEST(AppendJsonString, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  append_json_string(out, std::string("a\"b\\c\nd\re\tf\x01g\x1fh\x7fi\0j", 19));
  EXPECT_EQ(out, R"("a\"b\\c\nd\re\tf\u0001g\u001fh\u007fi\u0000j")");
  out = "prefix:";
  append_json_string(out, "");
  EXPECT_EQ(out, "prefix:\"\"");
  out.clear();
  append_json_string(out, "é🤖");
  EXPECT_EQ(out, "\"é🤖\"") << "UTF-8 passes through unchanged";
  // What it writes is JSON that reads back as the same string.
  std::string raw;
  for (int c = 1; c < 128; ++c) raw.push_back(static_cast<char>(c));
  out.clear();
  append_json_string(out, raw);
  EXPECT_EQ(Json::parse(out).get<std::string>(), raw);
}

TEST(AppendJsonString, InvalidUtf8BecomesReplacementCharacters) {
  // Echoed text (a path, a query value, a library's message) may hold any bytes; the JSON
  // written must still parse.
  const std::string replacement = "\xEF\xBF\xBD";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\xff\xfe", replacement + replacement},
      {"a\xC3", "a" + replacement},                           // truncated sequence
      {"\xC0\xAF", replacement + replacement},                // overlong '/'
      {"\xED\xA0\x80", replacement + replacement + replacement},  // a surrogate
      {"\xF4\x90\x80\x80", replacement + replacement + replacement + replacement},  // past U+10FFFF
      {"ok \xE2\x82\xAC \xff", "ok \xE2\x82\xAC " + replacement},
  };
  for (const auto& [in, want] : cases) {
    std::string out;
    append_json_string(out, in);
    Json parsed = Json::parse(out, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << out;
    EXPECT_EQ(parsed.get<std::string>(), want);
  }
}

}  // namespace
}  // namespace agentlearn
