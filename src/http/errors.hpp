#pragma once
// What a handler answers, and the one place where an answer becomes the HTTP response: a
// success is a Response; a failure is a value (a domain Status from the service or the route's
// own validation, or an HttpError for what only the transport knows), turned into the JSON
// error body {"error":{"code","message","field","request_id",...}} by to_response alone.
#include <string>
#include <string_view>
#include <variant>

#include "core/status.hpp"
#include "http/types.hpp"

namespace agentlearn::http {

// Refusals that are about HTTP itself, never about the domain: the service cannot give them.
enum class HttpErrorCode {
  kUnauthenticated,       // 401 "unauthorized"
  kPermissionDenied,      // 403 "forbidden"
  kMethodNotAllowed,      // 405 "method_not_allowed"
  kPayloadTooLarge,       // 413 "payload_too_large"
  kUnsupportedMediaType,  // 415 "unsupported_media_type"
  kNotImplemented,        // 501 "not_implemented" (a transfer coding other than chunked)
};

struct HttpError {
  HttpErrorCode code;
  std::string message;
  std::string field = {};  // the one input to blame ("Content-Type"), or empty
};

// A refusal in the JSON error shape. `code_override` replaces the body's code (the batch
// endpoint's "invalid_batch"); `errors_json`, when given, is the error object's "errors"
// member: a JSON array of per-record errors, written by JsonWriter.
struct ErrorReply {
  std::variant<Status, HttpError> error;  // a Status here is never ok
  std::string code_override = {};
  std::string errors_json = {};
};

// A handler's answer: a response, or an error to be converted by to_response.
class [[nodiscard]] Reply {
 public:
  Reply(Response response) : v_(std::move(response)) {}                             // NOLINT: implicit by design
  Reply(Status status) : v_(ErrorReply{std::move(status)}) { assert(!std::get<Status>(error().error).ok()); }  // NOLINT
  Reply(HttpError error) : v_(ErrorReply{std::move(error)}) {}                      // NOLINT
  Reply(ErrorReply error) : v_(std::move(error)) {}                                 // NOLINT

  bool ok() const { return std::holds_alternative<Response>(v_); }
  const Response& response() const { return std::get<Response>(v_); }
  const ErrorReply& error() const { return std::get<ErrorReply>(v_); }

 private:
  friend Response to_response(Reply reply, const Request& request, std::string_view request_id);
  std::variant<Response, ErrorReply> v_;
};
using HandlerResult = Reply;

unsigned http_status_of(StatusCode code);
unsigned http_status_of(HttpErrorCode code);
// The machine-readable error code for the body: "invalid_argument", "not_found", ...
std::string_view error_code_of(StatusCode code);
std::string_view error_code_of(HttpErrorCode code);

// The one conversion from an answer to the HTTP response. An error gets the JSON error
// body (a Status's reason refines its code unless code_override is given), Retry-After on
// 503 and WWW-Authenticate on 401; a response passes through.
Response to_response(Reply reply, const Request& request, std::string_view request_id);

// The answer to a bug (an exception in a handler): logs what() with the request id and the
// route at error level, and answers a plain 500 that shows nothing of it.
Reply internal_error(const RequestContext& ctx, std::string_view what);

// A JSON success response.
Response json_response(unsigned status, std::string body, const Request& request);

}  // namespace agentlearn::http
