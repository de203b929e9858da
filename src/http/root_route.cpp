#include "http/root_route.hpp"

namespace agentlearn::http {

void add_root_route(Router& router) {
  router.add(
      beast_http::verb::get, "/",
      [](RequestContext& ctx) -> Reply {
        Response res{beast_http::status::found, ctx.request.version()};
        res.set(beast_http::field::location, kRootRedirectTarget);
        res.set(beast_http::field::content_type, "text/plain; charset=utf-8");
        res.set(beast_http::field::cache_control, "no-store");
        res.body() = std::string("Found: ") + kRootRedirectTarget + "\n";
        return res;
      },
      {.role = Role::kNone});
}

}  // namespace agentlearn::http
