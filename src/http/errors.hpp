#pragma once
// The one place where a Status becomes an HTTP error: {"error":{"code","message","field"}}.
#include <string_view>

#include "core/status.hpp"
#include "http/types.hpp"

namespace agentlearn::http {

unsigned http_status_of(StatusCode code);
// The machine-readable error code for the body: "invalid_argument", "not_found", ...
std::string_view error_code_of(StatusCode code);

// A JSON error response. `code_override` replaces the default code (e.g. "invalid_batch");
// `extra_json`, when given, is spliced into the error object (e.g. "\"errors\":[...]").
Response error_response(const Status& status, const Request& request, std::string_view request_id,
                        std::string_view code_override = {}, std::string_view extra_json = {});
// The same, for a handler.
Response error_response(const Status& status, const RequestContext& ctx, std::string_view code_override = {},
                        std::string_view extra_json = {});

// A JSON success response.
Response json_response(unsigned status, std::string body, const Request& request);

}  // namespace agentlearn::http
