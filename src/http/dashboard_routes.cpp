#include "http/dashboard_routes.hpp"

#include <string>
#include <string_view>

#include "core/hash.hpp"
#include "http/embedded_assets.hpp"
#include "http/errors.hpp"

namespace agentlearn::http {
namespace {

using beast_http::verb;

// Only the page's own script and style sheet run; the page reads the API of its own origin
// and nothing else. No inline script or style, no frames, no forms posted elsewhere.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Asset {
  std::string_view name;          // as embedded (cmake/embed.cmake keys by file name)
  std::string_view content_type;
};

// The entity tag of an asset: a hash of its bytes, so a rebuilt binary is never served stale.
std::string etag_of(std::string_view body) {
  ContentHasher h;
  h.add(body);
  return "\"" + h.hex() + "\"";
}

// An embedded asset's entity tag (each handler computes it once).
std::string asset_etag(std::string_view name) {
  auto body = embedded_asset(name);
  return body ? etag_of(*body) : std::string();
}

Reply serve_asset(const Asset& asset, const std::string& etag, RequestContext& ctx) {
  auto body = embedded_asset(asset.name);
  if (!body) return Status::Internal(std::string("the dashboard asset ") + std::string(asset.name) + " was not embedded");
  const bool fresh = sv(ctx.request[beast_http::field::if_none_match]) == etag;
  Response res{fresh ? beast_http::status::not_modified : beast_http::status::ok, ctx.request.version()};
  res.set(beast_http::field::content_type, std::string(asset.content_type));
  res.set(beast_http::field::etag, etag);
  // Revalidated on every load (a 304 costs one round trip); never stored by shared caches.
  res.set(beast_http::field::cache_control, "no-cache, private");
  res.set("Content-Security-Policy", std::string(kContentSecurityPolicy));
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  res.set("X-Frame-Options", "DENY");
  if (!fresh) res.body() = std::string(*body);
  return res;
}

Reply handle_page(RequestContext& ctx) {
  static constexpr Asset kPage{"dashboard.html", "text/html; charset=utf-8"};
  static const std::string etag = asset_etag(kPage.name);
  return serve_asset(kPage, etag, ctx);
}

Reply handle_script(RequestContext& ctx) {
  static constexpr Asset kScript{"dashboard.js", "text/javascript; charset=utf-8"};
  static const std::string etag = asset_etag(kScript.name);
  return serve_asset(kScript, etag, ctx);
}

Reply handle_boot(RequestContext& ctx) {
  static constexpr Asset kBoot{"dashboard-boot.js", "text/javascript; charset=utf-8"};
  static const std::string etag = asset_etag(kBoot.name);
  return serve_asset(kBoot, etag, ctx);
}

Reply handle_style(RequestContext& ctx) {
  static constexpr Asset kStyle{"dashboard.css", "text/css; charset=utf-8"};
  static const std::string etag = asset_etag(kStyle.name);
  return serve_asset(kStyle, etag, ctx);
}

// Answers 200 to an admin token only (the router refuses the others with 401 or 403), so the
// page knows whether to enable its admin controls without trying one.
Reply handle_admin_check(RequestContext& ctx) {
  Response res = json_response(200, "{\"admin\":true}", ctx.request);
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

}  // namespace

void add_dashboard_routes(Router& router) {
  // The page and its assets hold no data, so they are open; every request the page makes
  // for data carries the token.
  router.add(verb::get, "/dashboard", handle_page, {.role = Role::kNone});
  router.add(verb::get, "/dashboard/boot.js", handle_boot, {.role = Role::kNone});
  router.add(verb::get, "/dashboard/dashboard.js", handle_script, {.role = Role::kNone});
  router.add(verb::get, "/dashboard/dashboard.css", handle_style, {.role = Role::kNone});
  router.add(verb::get, "/dashboard/admin-check", handle_admin_check, {.role = Role::kAdmin});
}

}  // namespace agentlearn::http
