#pragma once
// The vocabulary of the HTTP layer: requests, responses, handlers and what a handler knows.
#include <boost/beast/http.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentlearn::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

// Roles are not a ladder: ingest may record, read may read; admin may do everything.
enum class Role { kNone, kIngest, kRead, kAdmin };

// Boost 1.74's Beast speaks boost::string_view; the rest of the code speaks std::string_view.
inline std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

using Params = std::vector<std::pair<std::string, std::string>>;

struct RequestContext {
  const Request& request;
  std::string_view path;     // decoded, without the query
  Params query;              // decoded query parameters, in order
  Params path_params;        // e.g. {agent_id}
  std::string request_id;

  // The first value of a query or path parameter, or nullptr.
  const std::string* query_param(std::string_view name) const;
  const std::string* path_param(std::string_view name) const;
};

// Sends the response. Call exactly once, from any thread; the connection waits for it.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(RequestContext&, Responder)>;

}  // namespace agentlearn::http
