#include "http/analytics_routes.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/execution.hpp"
#include "core/time.hpp"
#include "http/analytics_json.hpp"
#include "http/errors.hpp"
#include "http/handler.hpp"

namespace agentlearn::http {
namespace {

using beast_http::verb;

// Without since/until the dashboard shows the 7 days ending now (or ending at `until`).
constexpr int64_t kDefaultRangeUs = 7LL * 86400 * 1'000'000;
constexpr int kMaxBuckets = 1000;

StatusOr<DashboardQuery> read_dashboard_query(const RequestContext& ctx) {
  auto filter = read_filter(ctx);
  if (!filter.ok()) return filter.status();
  DashboardQuery q;
  q.filter = std::move(filter).value();
  if (!q.filter.until_us) q.filter.until_us = std::max(now_us(), q.filter.since_us.value_or(INT64_MIN));
  if (!q.filter.since_us) q.filter.since_us = *q.filter.until_us - kDefaultRangeUs;
  if (const std::string* v = ctx.query_param("series_agent")) {
    if (v->empty() || v->size() > ExecutionLimits::kMaxIdBytes) {
      return Status::Invalid(fmt::format("series_agent must be 1 to {} bytes", ExecutionLimits::kMaxIdBytes),
                             "series_agent");
    }
    q.series_agent = *v;
  }
  if (const std::string* v = ctx.query_param("buckets")) {
    int n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < 1 || n > kMaxBuckets) {
      return Status::Invalid(fmt::format("buckets must be an integer from 1 to {}, got '{}'", kMaxBuckets, *v),
                             "buckets");
    }
    q.buckets = n;
  }
  return q;
}

void handle_dashboard(ApiDeps& deps, RequestContext& ctx, Complete done) {
  auto query = read_dashboard_query(ctx);
  if (!query.ok()) return done(query.status());
  run_on(deps.blocking, ctx, std::move(done), [&deps, &ctx, query = std::move(query).value()]() -> Reply {
    auto report = deps.service.dashboard(query);
    if (!report.ok()) return report.status();
    return json_response(200, dashboard_json(query, *report), ctx.request);
  });
}

}  // namespace

void add_analytics_routes(Router& r, std::shared_ptr<ApiDeps> deps) {
  r.add_async(verb::get, "/analytics/dashboard", bind_async(std::move(deps), handle_dashboard), {.role = Role::kRead});
}

}  // namespace agentlearn::http
