// The dashboard's routes (dashboard_routes.cpp) through the real Router: the page and its
// assets are embedded, open, typed, under a strict Content-Security-Policy and revalidated by
// entity tag; the page itself carries no script; admin-check is admin-only.
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>

#include "http/dashboard_routes.hpp"
#include "http/embedded_assets.hpp"
#include "http/errors.hpp"
#include "http/handler.hpp"

namespace agentlearn {
namespace {

namespace beast_http = boost::beast::http;

class DashboardRoutes : public ::testing::Test {
 protected:
  void SetUp() override { http::add_dashboard_routes(router); }

  // The route's answer to GET `path`, with an optional If-None-Match.
  http::Response get(const std::string& path, const std::string& if_none_match = {}) {
    http::Request req{beast_http::verb::get, path, 11};
    if (!if_none_match.empty()) req.set(beast_http::field::if_none_match, if_none_match);
    auto match = router.match(beast_http::verb::get, path);
    EXPECT_TRUE(match && match->route) << path;
    if (!match || !match->route) return {};
    http::RequestContext ctx{req, path, {}, {}, "test-request"};
    std::optional<http::Response> out;
    http::invoke_handler(match->route->handler, ctx,
                         [&](http::Reply reply) { out = http::to_response(std::move(reply), req, "test-request"); });
    EXPECT_TRUE(out.has_value());
    return out ? *out : http::Response{};
  }

  const http::Route* route(const std::string& path) {
    auto match = router.match(beast_http::verb::get, path);
    return match && match->route ? match->route : nullptr;
  }

  http::Router router;
};

TEST_F(DashboardRoutes, PageAndAssetsAreServedWithTheirTypes) {
  for (auto [path, type] : {std::pair{"/dashboard", "text/html; charset=utf-8"},
                            std::pair{"/dashboard/dashboard.js", "text/javascript; charset=utf-8"},
                            std::pair{"/dashboard/boot.js", "text/javascript; charset=utf-8"},
                            std::pair{"/dashboard/dashboard.css", "text/css; charset=utf-8"}}) {
    http::Response res = get(path);
    EXPECT_EQ(res.result_int(), 200u) << path;
    EXPECT_EQ(http::sv(res[beast_http::field::content_type]), type) << path;
    EXPECT_FALSE(res.body().empty()) << path;
    EXPECT_EQ(http::sv(res["X-Content-Type-Options"]), "nosniff") << path;
    const std::string csp(http::sv(res["Content-Security-Policy"]));
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
    ASSERT_NE(route(path), nullptr);
    EXPECT_EQ(route(path)->options.role, http::Role::kNone) << path << " holds no data: it needs no token";
  }
}

TEST_F(DashboardRoutes, TheEmbeddedBytesAreServed) {
  for (auto [path, name] : {std::pair{"/dashboard", "dashboard.html"}, std::pair{"/dashboard/dashboard.js", "dashboard.js"},
                            std::pair{"/dashboard/boot.js", "dashboard-boot.js"},
                            std::pair{"/dashboard/dashboard.css", "dashboard.css"}}) {
    auto embedded = embedded_asset(name);
    ASSERT_TRUE(embedded) << name << " is not embedded";
    EXPECT_EQ(get(path).body(), std::string(*embedded)) << path;
  }
}

TEST_F(DashboardRoutes, ThePageHasNoInlineScriptOrHandler) {
  const std::string html = get("/dashboard").body();
  EXPECT_NE(html.find("<script src=\"/dashboard/dashboard.js\""), std::string::npos);
  EXPECT_NE(html.find("<script src=\"/dashboard/boot.js\""), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(<script(?![^>]*\bsrc=)[^>]*>)", std::regex::icase)))
      << "the page must have no inline script";
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+\s*=)", std::regex::icase)))
      << "the page must have no inline event handler";
  EXPECT_EQ(html.find("style=\""), std::string::npos) << "no inline style: style-src is 'self'";
}

TEST_F(DashboardRoutes, AnEntityTagThatMatchesGivesNotModified) {
  http::Response first = get("/dashboard/dashboard.js");
  const std::string etag(http::sv(first[beast_http::field::etag]));
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  http::Response again = get("/dashboard/dashboard.js", etag);
  EXPECT_EQ(again.result_int(), 304u);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(get("/dashboard/dashboard.js", "\"stale\"").result_int(), 200u);
  // Each asset has its own tag.
  EXPECT_NE(http::sv(get("/dashboard/dashboard.css")[beast_http::field::etag]), etag);
}

TEST_F(DashboardRoutes, AdminCheckNeedsTheAdminRole) {
  ASSERT_NE(route("/dashboard/admin-check"), nullptr);
  EXPECT_EQ(route("/dashboard/admin-check")->options.role, http::Role::kAdmin);
  http::Response res = get("/dashboard/admin-check");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "{\"admin\":true}");
}

TEST_F(DashboardRoutes, OtherPathsUnderDashboardAreNotServed) {
  EXPECT_EQ(route("/dashboard/openapi.json"), nullptr);
  EXPECT_EQ(route("/dashboard/dashboard.html"), nullptr);
}

}  // namespace
}  // namespace agentlearn
