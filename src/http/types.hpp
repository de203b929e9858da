#pragma once
// The vocabulary of the HTTP layer: requests, responses and what a handler knows (the
// handlers themselves are in http/handler.hpp).
#include <boost/beast/http.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/query.hpp"

namespace agentlearn::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

// Roles are not a ladder: ingest may record, read may read; admin may do everything.
enum class Role { kNone, kIngest, kRead, kAdmin };

// Boost 1.74's Beast speaks boost::string_view; the rest of the code speaks std::string_view.
inline std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }


struct RequestContext {
  const Request& request;
  std::string_view path;     // decoded, without the query
  Params query;              // decoded query parameters, in order
  Params path_params;        // e.g. {agent_id}
  std::string request_id;
  std::string_view route = {};  // the matched route's pattern (for logs)

  // The first value of a query or path parameter, or nullptr.
  const std::string* query_param(std::string_view name) const;
  const std::string* path_param(std::string_view name) const;
};

}  // namespace agentlearn::http
