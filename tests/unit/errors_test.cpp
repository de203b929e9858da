// The one place an answer becomes an HTTP response: the status and code of every domain and
// transport error, the body's shape and escaping, invalid_json, the batch endpoint's spliced
// `errors`, Retry-After on 503 and WWW-Authenticate on 401 only, a success passing through,
// and the internal error's body and log line.
#include "http/errors.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <set>
#include <sstream>
#include <string>

namespace agentlearn::http {
namespace {

using nlohmann::json;

const StatusCode kAllCodes[] = {
    StatusCode::kOk,       StatusCode::kInvalidArgument, StatusCode::kNotFound,
    StatusCode::kConflict, StatusCode::kUnavailable,     StatusCode::kInternal,
};
const HttpErrorCode kAllHttpCodes[] = {
    HttpErrorCode::kUnauthenticated, HttpErrorCode::kPermissionDenied,      HttpErrorCode::kMethodNotAllowed,
    HttpErrorCode::kPayloadTooLarge, HttpErrorCode::kUnsupportedMediaType,
};

// An error through the conversion, optionally with the batch shape's code and errors array.
Response answer(Reply reply, const Request& request, std::string_view request_id,
                        std::string code_override = {}, std::string errors_json = {}) {
  if (!code_override.empty() || !errors_json.empty()) {
    ErrorReply e = reply.error();
    e.code_override = std::move(code_override);
    e.errors_json = std::move(errors_json);
    reply = std::move(e);
  }
  return to_response(std::move(reply), request, request_id);
}

Request make_request(unsigned version = 11) {
  Request req{beast_http::verb::post, "/agent/performance", version};
  return req;
}

json body_of(const Response& res) {
  json j = json::parse(res.body(), nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << res.body();
  return j;
}

TEST(HttpStatusOf, EveryCode) {
  EXPECT_EQ(http_status_of(StatusCode::kOk), 200u);
  EXPECT_EQ(http_status_of(StatusCode::kInvalidArgument), 400u);
  EXPECT_EQ(http_status_of(StatusCode::kNotFound), 404u);
  EXPECT_EQ(http_status_of(StatusCode::kConflict), 409u);
  EXPECT_EQ(http_status_of(StatusCode::kUnavailable), 503u);
  EXPECT_EQ(http_status_of(StatusCode::kInternal), 500u);
  EXPECT_EQ(http_status_of(HttpErrorCode::kUnauthenticated), 401u);
  EXPECT_EQ(http_status_of(HttpErrorCode::kPermissionDenied), 403u);
  EXPECT_EQ(http_status_of(HttpErrorCode::kMethodNotAllowed), 405u);
  EXPECT_EQ(http_status_of(HttpErrorCode::kPayloadTooLarge), 413u);
  EXPECT_EQ(http_status_of(HttpErrorCode::kUnsupportedMediaType), 415u);
}

TEST(ErrorCodeOf, EveryCodeAsDocumented) {
  EXPECT_EQ(error_code_of(StatusCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(error_code_of(StatusCode::kNotFound), "not_found");
  EXPECT_EQ(error_code_of(StatusCode::kConflict), "conflict");
  EXPECT_EQ(error_code_of(StatusCode::kUnavailable), "unavailable");
  EXPECT_EQ(error_code_of(StatusCode::kInternal), "internal");
  EXPECT_EQ(error_code_of(HttpErrorCode::kUnauthenticated), "unauthorized");
  EXPECT_EQ(error_code_of(HttpErrorCode::kPermissionDenied), "forbidden");
  EXPECT_EQ(error_code_of(HttpErrorCode::kMethodNotAllowed), "method_not_allowed");
  EXPECT_EQ(error_code_of(HttpErrorCode::kPayloadTooLarge), "payload_too_large");
  EXPECT_EQ(error_code_of(HttpErrorCode::kUnsupportedMediaType), "unsupported_media_type");
  std::set<std::string_view> distinct;
  for (StatusCode c : kAllCodes) distinct.insert(error_code_of(c));
  for (HttpErrorCode c : kAllHttpCodes) distinct.insert(error_code_of(c));
  EXPECT_EQ(distinct.size(), std::size(kAllCodes) + std::size(kAllHttpCodes));
}

TEST(ErrorResponse, BodyShape) {
  Request req = make_request();
  Response res = answer(Status::Invalid("agent_id must not be empty", "agent_id"), req, "req-123");
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(res[beast_http::field::content_type], "application/json");
  EXPECT_EQ(res.version(), 11u);
  json j = body_of(res);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.size(), 1u) << res.body();
  const json& e = j["error"];
  EXPECT_EQ(e["code"], "invalid_argument");
  EXPECT_EQ(e["message"], "agent_id must not be empty");
  EXPECT_EQ(e["field"], "agent_id");
  EXPECT_EQ(e["request_id"], "req-123");
  EXPECT_EQ(e.size(), 4u) << res.body();
  EXPECT_FALSE(res.count(beast_http::field::retry_after));
}

TEST(ErrorResponse, NoFieldMeansNoFieldMember) {
  Request req = make_request();
  Response res = answer(Status::NotFound("no route for GET /nope"), req, "r");
  EXPECT_EQ(res.result_int(), 404u);
  json e = body_of(res)["error"];
  EXPECT_EQ(e["code"], "not_found");
  EXPECT_FALSE(e.contains("field")) << res.body();
  EXPECT_EQ(e["request_id"], "r");
}

// The body of an error with message "m", field "f" and request id "r".
void expect_error_body(Reply reply, unsigned status, std::string_view code) {
  Request req = make_request();
  Response res = answer(std::move(reply), req, "r");
  EXPECT_EQ(res.result_int(), status);
  json e = body_of(res)["error"];
  EXPECT_EQ(e["code"], std::string(code));
  // Internal and unavailable errors carry a fixed text: the detail stays in the log.
  if (status == 500 || status == 503) {
    EXPECT_NE(e["message"], "m");
  } else {
    EXPECT_EQ(e["message"], "m");
  }
  EXPECT_EQ(e["field"], "f");
  EXPECT_EQ(e["request_id"], "r");
  EXPECT_EQ(e.size(), 4u) << res.body();
}

TEST(ErrorResponse, StatusAndCodeForEveryErrorCode) {
  for (StatusCode c : kAllCodes) {
    if (c != StatusCode::kOk) expect_error_body(Status(c, "m", "f"), http_status_of(c), error_code_of(c));
  }
  for (HttpErrorCode c : kAllHttpCodes) expect_error_body(HttpError{c, "m", "f"}, http_status_of(c), error_code_of(c));
}

TEST(ErrorResponse, ExactBytes) {
  // The integration tests and clients read these bytes; the member order is part of it.
  Request req = make_request();
  EXPECT_EQ(answer(Status::Invalid("bad \"x\"", "agent_id"), req, "r1").body(),
            R"({"error":{"code":"invalid_argument","message":"bad \"x\"","field":"agent_id","request_id":"r1"}})");
  EXPECT_EQ(answer(HttpError{HttpErrorCode::kUnsupportedMediaType, "Content-Type must be x", "Content-Type"},
                           req, "r2")
                .body(),
            R"({"error":{"code":"unsupported_media_type","message":"Content-Type must be x","field":"Content-Type",)"
            R"("request_id":"r2"}})");
  EXPECT_EQ(answer(Status::Conflict("c"), req, "r3", "conflict", "[]").body(),
            R"({"error":{"code":"conflict","message":"c","request_id":"r3","errors":[]}})");
}

TEST(ToResponse, ASuccessPassesThrough) {
  Request req = make_request();
  Response ok = json_response(201, R"({"status":"recorded"})", req);
  ok.set(beast_http::field::cache_control, "no-store");
  Reply reply = ok;
  ASSERT_TRUE(reply.ok());
  Response res = to_response(std::move(reply), req, "r");
  EXPECT_EQ(res.result_int(), 201u);
  EXPECT_EQ(res.body(), R"({"status":"recorded"})");
  EXPECT_EQ(res[beast_http::field::cache_control], "no-store");
  EXPECT_FALSE(res.count(beast_http::field::retry_after));
}

TEST(ToResponse, WwwAuthenticateOnlyOn401) {
  Request req = make_request();
  Response res = answer(HttpError{HttpErrorCode::kUnauthenticated, "no token"}, req, "r");
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_EQ(res[beast_http::field::www_authenticate], "Bearer");
  for (HttpErrorCode c : kAllHttpCodes) {
    if (c == HttpErrorCode::kUnauthenticated) continue;
    EXPECT_FALSE(answer(HttpError{c, "m"}, req, "r").count(beast_http::field::www_authenticate));
  }
  for (StatusCode c : kAllCodes) {
    if (c == StatusCode::kOk) continue;
    EXPECT_FALSE(answer(Status(c, "m"), req, "r").count(beast_http::field::www_authenticate));
  }
}

TEST(InternalError, LogsWhatAndShowsNothingOfIt) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  Request req{beast_http::verb::get, "/models/status", 11};
  RequestContext ctx{req, "/models/status", {}, {}, "rid-42", "/models/status"};
  Response res = to_response(internal_error(ctx, "vector::at out of range"), req, ctx.request_id);
  spdlog::set_default_logger(previous);
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_EQ(res.body(), R"({"error":{"code":"internal","message":"internal error","request_id":"rid-42"}})");
  const std::string line = log.str();
  EXPECT_NE(line.find("rid-42"), std::string::npos) << line;
  EXPECT_NE(line.find("/models/status"), std::string::npos) << line;
  EXPECT_NE(line.find("vector::at out of range"), std::string::npos) << line;
  EXPECT_NE(line.find("error"), std::string::npos) << line;
}

TEST(ErrorResponse, StoreDetailOfInternalAndUnavailableErrorsStaysInTheLog) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  Request req = make_request();
  Response internal =
      answer(Status::Internal("sqlite: disk I/O error at /var/lib/agentlearn/data/agentlearn.db"), req, "rid-7");
  Response unavailable = answer(
      Status::Unavailable("postgresql: connection to server at \"10.0.0.5\", port 5432 failed: password"), req, "rid-8");
  spdlog::set_default_logger(previous);
  EXPECT_EQ(internal.result_int(), 500u);
  EXPECT_EQ(body_of(internal)["error"]["message"], "internal error");
  EXPECT_EQ(internal.body().find("sqlite"), std::string::npos) << internal.body();
  EXPECT_EQ(unavailable.result_int(), 503u);
  EXPECT_EQ(unavailable.body().find("10.0.0.5"), std::string::npos) << unavailable.body();
  EXPECT_NE(body_of(unavailable)["error"]["message"].get<std::string>().find("Retry-After"), std::string::npos);
  // The detail is logged with the request id, for the operator.
  EXPECT_NE(log.str().find("rid-7"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("disk I/O error"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("rid-8"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("10.0.0.5"), std::string::npos) << log.str();
}

TEST(ErrorResponse, ReasonRefinesTheCode) {
  Request req = make_request();
  Response res = answer(
      Status::Invalid("request body is not valid JSON: x", "body").with_reason("invalid_json"), req, "r");
  EXPECT_EQ(res.result_int(), 400u);
  json e = body_of(res)["error"];
  EXPECT_EQ(e["code"], "invalid_json");
  EXPECT_EQ(e["field"], "body");
  // Blaming the body without the reason (valid JSON of the wrong shape) is not invalid_json.
  res = answer(Status::Invalid("an execution must be a JSON object, got an array", "body"), req, "r");
  EXPECT_EQ(body_of(res)["error"]["code"], "invalid_argument");
}

TEST(ErrorResponse, InvalidJsonOnlyForInvalidArgument) {
  Request req = make_request();
  Response res = answer(HttpError{HttpErrorCode::kPayloadTooLarge, "too big", "body"}, req, "r");
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(body_of(res)["error"]["code"], "payload_too_large");
  // Another field is not the body.
  res = answer(Status::Invalid("bad", "bodyx"), req, "r");
  EXPECT_EQ(body_of(res)["error"]["code"], "invalid_argument");
}

TEST(ErrorResponse, CodeOverrideWins) {
  Request req = make_request();
  Response res = answer(Status::Invalid("2 records are invalid"), req, "r", "invalid_batch");
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(body_of(res)["error"]["code"], "invalid_batch");
  res = answer(Status::Invalid("x", "body"), req, "r", "invalid_batch");
  EXPECT_EQ(body_of(res)["error"]["code"], "invalid_batch");
}

TEST(ErrorResponse, PerRecordErrorsAreTheErrorObjectsErrorsMember) {
  Request req = make_request();
  Response res = answer(Status::Invalid("1 of 2 records are invalid"), req, "r", "invalid_batch",
                        R"([{"index":1,"field":"agent_id","message":"agent_id is required"}])");
  json e = body_of(res)["error"];
  EXPECT_EQ(e["code"], "invalid_batch");
  EXPECT_EQ(e["request_id"], "r");
  ASSERT_TRUE(e["errors"].is_array());
  ASSERT_EQ(e["errors"].size(), 1u);
  EXPECT_EQ(e["errors"][0]["index"], 1);
  EXPECT_EQ(e["errors"][0]["field"], "agent_id");
}

TEST(ErrorResponse, RetryAfterOnlyOn503) {
  Request req = make_request();
  Response res = answer(Status::Unavailable("the store is unreachable"), req, "r");
  EXPECT_EQ(res.result_int(), 503u);
  ASSERT_TRUE(res.count(beast_http::field::retry_after));
  int seconds = std::stoi(std::string(res[beast_http::field::retry_after]));
  EXPECT_GE(seconds, 1);
  for (StatusCode c : kAllCodes) {
    if (c == StatusCode::kUnavailable || c == StatusCode::kOk) continue;
    EXPECT_FALSE(answer(Status(c, "m"), req, "r").count(beast_http::field::retry_after));
  }
  for (HttpErrorCode c : kAllHttpCodes) {
    EXPECT_FALSE(answer(HttpError{c, "m"}, req, "r").count(beast_http::field::retry_after));
  }
}

TEST(ErrorResponse, MessagesFieldsAndIdsAreEscaped) {
  Request req = make_request();
  const std::string message = "execution_id 'a\"b' was \\ already\nrecorded\twith\r\x01 content é";
  const std::string field = "weird\"field\n";
  const std::string rid = "id\"\\";
  Response res = answer(Status::Conflict(message, field), req, rid);
  json e = body_of(res)["error"];
  EXPECT_EQ(e["message"], message);
  EXPECT_EQ(e["field"], field);
  EXPECT_EQ(e["request_id"], rid);
  EXPECT_EQ(res.body().find('\n'), std::string::npos) << "raw newlines must be escaped";
}

TEST(ErrorResponse, KeepsTheRequestsHttpVersion) {
  Request req = make_request(10);
  EXPECT_EQ(answer(Status::Internal("x"), req, "r").version(), 10u);
}

TEST(JsonResponse, StatusBodyAndType) {
  Request req = make_request();
  Response res = json_response(201, R"({"status":"recorded"})", req);
  EXPECT_EQ(res.result_int(), 201u);
  EXPECT_EQ(res.body(), R"({"status":"recorded"})");
  EXPECT_EQ(res[beast_http::field::content_type], "application/json");
  EXPECT_EQ(res.version(), 11u);
}

}  // namespace
}  // namespace agentlearn::http
