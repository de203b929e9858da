#include "http/errors.hpp"

#include "core/execution_json.hpp"

namespace agentlearn::http {

unsigned http_status_of(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kMethodNotAllowed: return 405;
    case StatusCode::kConflict: return 409;
    case StatusCode::kPayloadTooLarge: return 413;
    case StatusCode::kUnsupportedMediaType: return 415;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

std::string_view error_code_of(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kUnauthenticated: return "unauthorized";
    case StatusCode::kPermissionDenied: return "forbidden";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kMethodNotAllowed: return "method_not_allowed";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kPayloadTooLarge: return "payload_too_large";
    case StatusCode::kUnsupportedMediaType: return "unsupported_media_type";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kInternal: return "internal";
  }
  return "internal";
}

Response error_response(const Status& status, const Request& request, std::string_view request_id,
                        std::string_view code_override, std::string_view extra_json) {
  std::string body = "{\"error\":{\"code\":";
  std::string_view code = code_override.empty() ? error_code_of(status.code()) : code_override;
  if (code_override.empty() && !status.reason().empty()) code = status.reason();
  append_json_string(body, code);
  body += ",\"message\":";
  append_json_string(body, status.message());
  if (!status.field().empty()) {
    body += ",\"field\":";
    append_json_string(body, status.field());
  }
  body += ",\"request_id\":";
  append_json_string(body, request_id);
  if (!extra_json.empty()) {
    body += ',';
    body += extra_json;
  }
  body += "}}";
  Response res = json_response(http_status_of(status.code()), std::move(body), request);
  if (status.code() == StatusCode::kUnavailable) res.set(beast_http::field::retry_after, "1");
  return res;
}

Response error_response(const Status& status, const RequestContext& ctx, std::string_view code_override,
                        std::string_view extra_json) {
  return error_response(status, ctx.request, ctx.request_id, code_override, extra_json);
}

Response json_response(unsigned status, std::string body, const Request& request) {
  Response res{static_cast<beast_http::status>(status), request.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

}  // namespace agentlearn::http
