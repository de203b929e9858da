#include "http/errors.hpp"

#include <spdlog/spdlog.h>

#include "core/json_writer.hpp"

namespace agentlearn::http {
namespace {

// An error of either kind, as the body and the status line need it.
struct ErrorParts {
  unsigned status;
  std::string_view code;
  std::string_view message;
  std::string_view field;
};

ErrorParts parts_of(const ErrorReply& e) {
  if (const auto* st = std::get_if<Status>(&e.error)) {
    std::string_view code = st->reason().empty() ? error_code_of(st->code()) : std::string_view(st->reason());
    return {http_status_of(st->code()), code, st->message(), st->field()};
  }
  const auto& he = std::get<HttpError>(e.error);
  return {http_status_of(he.code), error_code_of(he.code), he.message, he.field};
}

}  // namespace

unsigned http_status_of(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kConflict: return 409;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

unsigned http_status_of(HttpErrorCode code) {
  switch (code) {
    case HttpErrorCode::kUnauthenticated: return 401;
    case HttpErrorCode::kPermissionDenied: return 403;
    case HttpErrorCode::kMethodNotAllowed: return 405;
    case HttpErrorCode::kPayloadTooLarge: return 413;
    case HttpErrorCode::kUnsupportedMediaType: return 415;
    case HttpErrorCode::kNotImplemented: return 501;
  }
  return 500;
}

std::string_view error_code_of(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kInternal: return "internal";
  }
  return "internal";
}

std::string_view error_code_of(HttpErrorCode code) {
  switch (code) {
    case HttpErrorCode::kUnauthenticated: return "unauthorized";
    case HttpErrorCode::kPermissionDenied: return "forbidden";
    case HttpErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case HttpErrorCode::kPayloadTooLarge: return "payload_too_large";
    case HttpErrorCode::kUnsupportedMediaType: return "unsupported_media_type";
    case HttpErrorCode::kNotImplemented: return "not_implemented";
  }
  return "internal";
}

// What the client reads of an internal or unavailable error: a fixed text. The detail (a
// SQLite or PostgreSQL message, a path, a library's exception text) says how the server is
// built and where it keeps its data, so it goes to the log under the request id, as userver
// keeps an internal message apart from the external body.
const std::string kInternalText = "internal error";
const std::string kUnavailableText =
    "the service cannot answer right now; retry after Retry-After seconds (the server log has the detail under this "
    "request_id)";

Response to_response(Reply reply, const Request& request, std::string_view request_id) {
  if (reply.ok()) return std::get<Response>(std::move(reply.v_));
  const ErrorReply& e = reply.error();
  ErrorParts p = parts_of(e);
  if (const auto* st = std::get_if<Status>(&e.error)) {
    if (st->code() == StatusCode::kInternal || st->code() == StatusCode::kUnavailable) {
      if (st->message() != kInternalText) {  // internal_error() has logged it
        spdlog::log(st->code() == StatusCode::kInternal ? spdlog::level::err : spdlog::level::warn,
                    "request {} {} {}: {} ({})", request_id, sv(request.method_string()), sv(request.target()),
                    error_code_of(st->code()), st->message());
      }
      p.message = st->code() == StatusCode::kInternal ? kInternalText : kUnavailableText;
    }
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("error").begin_object();
  w.member("code", e.code_override.empty() ? p.code : std::string_view(e.code_override));
  w.member("message", p.message);
  if (!p.field.empty()) w.member("field", p.field);
  w.member("request_id", request_id);
  if (!e.errors_json.empty()) w.key("errors").raw(e.errors_json);
  w.end_object().end_object();
  Response res = json_response(p.status, std::move(body), request);
  if (p.status == 503) res.set(beast_http::field::retry_after, "1");
  if (p.status == 401) res.set(beast_http::field::www_authenticate, "Bearer");
  return res;
}

Reply internal_error(const RequestContext& ctx, std::string_view what) {
  spdlog::error("request {} {} {} failed: {}", ctx.request_id, sv(ctx.request.method_string()), ctx.route, what);
  return Status::Internal(kInternalText);
}

Response json_response(unsigned status, std::string body, const Request& request) {
  Response res{static_cast<beast_http::status>(status), request.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

}  // namespace agentlearn::http
