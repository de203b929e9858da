// Router: literal and {param} routes, trailing slashes, 405's Allow list, and the query
// string decoding (percent escapes, '+', empty and repeated keys).
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace agentlearn::http {
namespace {

using beast_http::verb;

SyncHandler tagged(std::string tag, std::string* last) {
  return [tag, last](RequestContext& ctx) -> Reply {
    *last = tag;
    return json_response(200, "{}", ctx.request);
  };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.add(verb::get, "/health", tagged("health", &last), {.role = Role::kNone});
    router.add(verb::post, "/agent/performance", tagged("record", &last), {.role = Role::kIngest});
    router.add(verb::post, "/agent/performance/batch", tagged("batch", &last),
               {.role = Role::kIngest, .body_limit = 16u << 20});
    router.add(verb::get, "/agents/performance", tagged("stats", &last));
    router.add(verb::get, "/agent/{agent_id}/recommendations", tagged("recs", &last));
    router.add(verb::get, "/learning/mode", tagged("get-mode", &last));
    router.add(verb::post, "/learning/mode", tagged("set-mode", &last), {.role = Role::kAdmin});
    router.add(verb::get, "/a/{x}/b/{y}", tagged("two", &last));
  }

  // Runs the matched handler and returns its tag, or "" when nothing matched.
  std::string run(verb method, std::string_view path) {
    RouteMatch m = *router.match(method, path);
    if (!m.route) return "";
    last.clear();
    Request req;
    RequestContext ctx{req, path, {}, m.path_params, "rid", m.route->pattern};
    int answers = 0;
    invoke_handler(m.route->handler, ctx, [&](Reply reply) {
      ++answers;
      EXPECT_TRUE(reply.ok());
    });
    EXPECT_EQ(answers, 1) << path;
    return last;
  }

  Router router;
  std::string last;
};

TEST_F(RouterTest, LiteralRoutes) {
  EXPECT_EQ(run(verb::get, "/health"), "health");
  EXPECT_EQ(run(verb::post, "/agent/performance"), "record");
  EXPECT_EQ(run(verb::post, "/agent/performance/batch"), "batch");
  EXPECT_EQ(run(verb::get, "/agents/performance"), "stats");
  RouteMatch m = *router.match(verb::get, "/health");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/health");
  EXPECT_TRUE(m.path_params.empty());
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "HEAD"}));
}

TEST_F(RouterTest, LiteralRoutesAreExact) {
  for (const char* path : {"/healthz", "/health/x", "/healt", "health", "/HEALTH", "", "/", "/agent",
                           "/agent/performance/batch/extra", "/health//", "//health"}) {
    RouteMatch m = *router.match(verb::get, path);
    EXPECT_FALSE(m.route) << path;
    EXPECT_TRUE(m.allowed.empty()) << path;
  }
}

TEST_F(RouterTest, TrailingSlashMatches) {
  EXPECT_EQ(run(verb::get, "/health/"), "health");
  EXPECT_EQ(run(verb::post, "/agent/performance/batch/"), "batch");
  EXPECT_EQ(run(verb::get, "/agent/x/recommendations/"), "recs");
}

TEST_F(RouterTest, CaptureRoutes) {
  RouteMatch m = *router.match(verb::get, "/agent/claude-opus/recommendations");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/agent/{agent_id}/recommendations");
  ASSERT_EQ(m.path_params.size(), 1u);
  EXPECT_EQ(m.path_params[0].first, "agent_id");
  EXPECT_EQ(m.path_params[0].second, "claude-opus");

  m = *router.match(verb::get, "/a/1/b/2");
  ASSERT_TRUE(m.route);
  ASSERT_EQ(m.path_params.size(), 2u);
  EXPECT_EQ(m.path_params[0], (std::pair<std::string, std::string>{"x", "1"}));
  EXPECT_EQ(m.path_params[1], (std::pair<std::string, std::string>{"y", "2"}));
}

TEST_F(RouterTest, CaptureNeedsEverySegment) {
  for (const char* path : {"/agent/recommendations", "/agent//recommendations", "/agent/a/b/recommendations",
                           "/agent/x/recommendation", "/agent/x", "/a/1/c/2", "/a/1/b"}) {
    EXPECT_FALSE(router.match(verb::get, path)->route) << path;
  }
}

TEST_F(RouterTest, CaptureTakesAnySegmentText) {
  RouteMatch m = *router.match(verb::get, "/agent/performance/recommendations");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.path_params[0].second, "performance");
  m = *router.match(verb::get, "/agent/a b:c@d.e/recommendations");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.path_params[0].second, "a b:c@d.e");
}

TEST_F(RouterTest, WrongMethodListsAllowedMethods) {
  RouteMatch m = *router.match(verb::delete_, "/learning/mode");
  EXPECT_FALSE(m.route);
  std::vector<std::string> allowed = m.allowed;
  std::sort(allowed.begin(), allowed.end());
  EXPECT_EQ(allowed, (std::vector<std::string>{"GET", "HEAD", "POST"}));

  m = *router.match(verb::get, "/agent/performance");
  EXPECT_FALSE(m.route);
  EXPECT_EQ(m.allowed, std::vector<std::string>{"POST"});

  m = *router.match(verb::post, "/agent/x/recommendations");
  EXPECT_FALSE(m.route);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "HEAD"}));
}

TEST_F(RouterTest, SameOrAnotherMethodOnOnePath) {
  EXPECT_EQ(run(verb::get, "/learning/mode"), "get-mode");
  EXPECT_EQ(run(verb::post, "/learning/mode"), "set-mode");
  RouteMatch m = *router.match(verb::post, "/learning/mode");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.allowed.size(), 3u);  // GET, HEAD (by the GET route), POST
}

TEST_F(RouterTest, HeadIsAnsweredByTheGetRoute) {
  EXPECT_EQ(run(verb::head, "/health"), "health");
  EXPECT_EQ(run(verb::head, "/learning/mode"), "get-mode");
  RouteMatch m = *router.match(verb::head, "/agent/a%2Fb/recommendations");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->method, verb::get);
  EXPECT_EQ(m.path_params[0].second, "a/b");
  // A path with no GET route has no HEAD either: 405 listing what it has.
  m = *router.match(verb::head, "/agent/performance");
  EXPECT_FALSE(m.route);
  EXPECT_EQ(m.allowed, std::vector<std::string>{"POST"});
}

TEST_F(RouterTest, UnknownPathIsNotA405) {
  RouteMatch m = *router.match(verb::get, "/nope");
  EXPECT_FALSE(m.route);
  EXPECT_TRUE(m.allowed.empty());
}

TEST_F(RouterTest, RoutesKeepOptionsAndOrder) {
  const auto& routes = router.routes();
  ASSERT_EQ(routes.size(), 8u);
  EXPECT_EQ(routes[0].pattern, "/health");
  EXPECT_EQ(routes[0].method, verb::get);
  EXPECT_EQ(routes[0].options.role, Role::kNone);
  EXPECT_EQ(routes[2].options.body_limit, 16u << 20);
  EXPECT_EQ(routes[3].options.role, Role::kRead) << "read is the default role";
  EXPECT_EQ(routes[3].options.body_limit, 0u);
  EXPECT_EQ(routes[6].options.role, Role::kAdmin);
}

TEST(Router, FirstMatchingRouteWins) {
  Router r;
  std::string last;
  r.add(verb::get, "/agent/stats", tagged("literal", &last));
  r.add(verb::get, "/agent/{id}", tagged("capture", &last));
  RouteMatch m = *r.match(verb::get, "/agent/stats");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/agent/stats");
  EXPECT_TRUE(m.path_params.empty());
  m = *r.match(verb::get, "/agent/other");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/agent/{id}");
}

TEST(Router, EmptyRouter) {
  Router r;
  RouteMatch m = *r.match(verb::get, "/");
  EXPECT_FALSE(m.route);
  EXPECT_TRUE(m.allowed.empty());
}

// ---------------------------------------------------------------------------------------

TEST(PercentDecode, Escapes) {
  EXPECT_EQ(percent_decode("", false), "");
  EXPECT_EQ(percent_decode("plain", false), "plain");
  EXPECT_EQ(percent_decode("a%20b", false), "a b");
  EXPECT_EQ(percent_decode("%41%42%43", false), "ABC");
  EXPECT_EQ(percent_decode("%2f%2F", false), "//");
  EXPECT_EQ(percent_decode("%C3%A9", false), "é");
  EXPECT_EQ(percent_decode("%25", false), "%");
  EXPECT_EQ(percent_decode("%2520", false), "%20") << "decoded once, not twice";
  EXPECT_EQ(percent_decode("%00", false), std::string(1, '\0'));
}

TEST(PercentDecode, DecodedBytesMustBeUtf8) {
  // They are echoed into JSON error bodies and stored as text.
  for (const char* bad : {"%ff", "%ff%fe", "%C3", "a%C3(", "%ED%A0%80", "\xff"}) {
    EXPECT_EQ(percent_decode(bad, false), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_query("agent_id=%ff%fe"), std::nullopt);
}

TEST(PercentDecode, Plus) {
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a%2Bb", true), "a+b");
  EXPECT_EQ(percent_decode("++", true), "  ");
}

TEST(PercentDecode, MalformedEscapes) {
  for (const char* bad : {"%", "%4", "a%", "a%4", "%zz", "%g1", "%1g", "%%", "%%41", "abc%2", "% 1", "%-1", "%+1"}) {
    EXPECT_EQ(percent_decode(bad, true), std::nullopt) << bad;
    EXPECT_EQ(percent_decode(bad, false), std::nullopt) << bad;
  }
}

using P = std::pair<std::string, std::string>;

TEST(ParseQuery, Pairs) {
  EXPECT_EQ(parse_query(""), Params{});
  EXPECT_EQ(parse_query("a=1"), (Params{P{"a", "1"}}));
  EXPECT_EQ(parse_query("a=1&b=x%20y"), (Params{P{"a", "1"}, P{"b", "x y"}}));
  EXPECT_EQ(parse_query("q=hello+world"), (Params{P{"q", "hello world"}}));
  EXPECT_EQ(parse_query("since=2025-11-24T00%3A00%3A00%2B02%3A00"), (Params{P{"since", "2025-11-24T00:00:00+02:00"}}));
  EXPECT_EQ(parse_query("k%3D=v%26"), (Params{P{"k=", "v&"}}));
  EXPECT_EQ(parse_query("a=b=c"), (Params{P{"a", "b=c"}}));
}

TEST(ParseQuery, EmptyValuesAndKeys) {
  EXPECT_EQ(parse_query("a="), (Params{P{"a", ""}}));
  EXPECT_EQ(parse_query("a"), (Params{P{"a", ""}}));
  EXPECT_EQ(parse_query("=v"), (Params{P{"", "v"}}));
  EXPECT_EQ(parse_query("a=&b"), (Params{P{"a", ""}, P{"b", ""}}));
}

TEST(ParseQuery, EmptyPairsAreSkipped) {
  EXPECT_EQ(parse_query("&"), Params{});
  EXPECT_EQ(parse_query("&&"), Params{});
  EXPECT_EQ(parse_query("a=1&&b=2"), (Params{P{"a", "1"}, P{"b", "2"}}));
  EXPECT_EQ(parse_query("&a=1&"), (Params{P{"a", "1"}}));
}

TEST(ParseQuery, RepeatedKeysKeepEveryValueInOrder) {
  auto q = parse_query("k=1&x=0&k=2&k=3");
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, (Params{P{"k", "1"}, P{"x", "0"}, P{"k", "2"}, P{"k", "3"}}));
  Request req;
  RequestContext ctx{req, "/", *q, {P{"agent_id", "a"}}, "rid"};
  ASSERT_TRUE(ctx.query_param("k"));
  EXPECT_EQ(*ctx.query_param("k"), "1") << "the first value";
  EXPECT_EQ(ctx.query_param("missing"), nullptr);
  ASSERT_TRUE(ctx.path_param("agent_id"));
  EXPECT_EQ(*ctx.path_param("agent_id"), "a");
  EXPECT_EQ(ctx.path_param("k"), nullptr);
}

TEST(ParseQuery, MalformedEscapeRefusesTheWholeQuery) {
  for (const char* bad : {"a=%zz", "%=1", "a=1&b=%", "a=1&b=%4", "a%2=1"}) {
    EXPECT_EQ(parse_query(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace agentlearn::http
