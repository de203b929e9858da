#pragma once
// Maps (method, path) to a handler. Patterns are literal segments and `{name}` captures:
// "/agent/{agent_id}/recommendations". A path that exists with another method is a 405.
// HEAD is answered by a path's GET route (the server sends its status and headers only).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/handler.hpp"
#include "http/types.hpp"

namespace agentlearn::http {

struct RouteOptions {
  Role role = Role::kRead;      // the role a token needs (kNone: open even with auth on)
  size_t body_limit = 0;        // 0: the server's default (1 MiB)
};

struct Route {
  beast_http::verb method;
  std::string pattern;          // also the `route` label in metrics
  Handler handler;               // call through invoke_handler(), the exception boundary
  RouteOptions options;
  std::vector<std::string> segments;
};

struct RouteMatch {
  const Route* route = nullptr;          // null: no route for this method
  Params path_params;
  std::vector<std::string> allowed;      // methods the path has (for 405's Allow)
};

class Router {
 public:
  // A handler that answers on the calling thread (the I/O thread).
  void add(beast_http::verb method, std::string pattern, SyncHandler handler, RouteOptions options = {});
  // A handler that completes later, from another thread (work on a pool, a write).
  void add_async(beast_http::verb method, std::string pattern, Handler handler, RouteOptions options = {});
  // `raw_path` is the request target's path, still %-encoded: captures are decoded after
  // splitting, so "%2F" inside an {agent_id} stays part of it. nullopt on a malformed escape.
  std::optional<RouteMatch> match(beast_http::verb method, std::string_view raw_path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace agentlearn::http
