#include "http/router.hpp"

#include "http/query.hpp"

namespace agentlearn::http {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

bool is_capture(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }


}  // namespace

const std::string* RequestContext::query_param(std::string_view name) const {
  for (auto& [k, v] : query) {
    if (k == name) return &v;
  }
  return nullptr;
}

const std::string* RequestContext::path_param(std::string_view name) const {
  for (auto& [k, v] : path_params) {
    if (k == name) return &v;
  }
  return nullptr;
}

void Router::add(beast_http::verb method, std::string pattern, SyncHandler handler, RouteOptions options) {
  add_async(
      method, std::move(pattern),
      [handler = std::move(handler)](RequestContext& ctx, Complete done) { done(handler(ctx)); }, options);
}

void Router::add_async(beast_http::verb method, std::string pattern, Handler handler, RouteOptions options) {
  Route r{method, pattern, std::move(handler), options, split_path(pattern)};
  routes_.push_back(std::move(r));
}

std::optional<RouteMatch> Router::match(beast_http::verb method, std::string_view raw_path) const {
  RouteMatch out;
  auto path = percent_decode(raw_path, false);
  if (!path) return std::nullopt;
  std::vector<std::string> raw_segs = split_path(raw_path);
  std::vector<std::string> segs;
  segs.reserve(raw_segs.size());
  for (auto& raw : raw_segs) {
    auto seg = percent_decode(raw, false);
    if (!seg) return std::nullopt;
    segs.push_back(std::move(*seg));
  }
  for (const Route& r : routes_) {
    bool matched = false;
    Params params;
    if (r.pattern.find('{') == std::string::npos) {
      // Literal routes compare whole paths; one trailing slash is forgiven.
      std::string_view p = *path;
      if (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
      matched = p == r.pattern;
    } else if (segs.size() == r.segments.size()) {
      matched = true;
      for (size_t i = 0; i < segs.size() && matched; ++i) {
        if (is_capture(r.segments[i])) {
          params.emplace_back(r.segments[i].substr(1, r.segments[i].size() - 2), segs[i]);
        } else if (segs[i] != r.segments[i]) {
          matched = false;
        }
      }
    }
    if (!matched) continue;
    out.allowed.emplace_back(beast_http::to_string(r.method));
    // Every GET route answers HEAD too (the same status and headers, no body: the server
    // drops the body), unless a route declares HEAD itself.
    if (r.method == beast_http::verb::get) out.allowed.emplace_back("HEAD");
    const bool head_by_get = method == beast_http::verb::head && r.method == beast_http::verb::get;
    if (r.method == method && (!out.route || out.route->method != method)) {
      out.route = &r;
      out.path_params = std::move(params);
    } else if (head_by_get && !out.route) {
      out.route = &r;
      out.path_params = std::move(params);
    }
  }
  return out;
}

}  // namespace agentlearn::http
