// The one place a Status becomes an HTTP error: status mapping, the body's shape and
// escaping, invalid_json, the batch endpoint's spliced `errors`, and Retry-After on 503.
#include "http/errors.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace agentlearn::http {
namespace {

using nlohmann::json;

const StatusCode kAllCodes[] = {
    StatusCode::kOk,           StatusCode::kInvalidArgument,  StatusCode::kUnauthenticated,
    StatusCode::kPermissionDenied, StatusCode::kNotFound,     StatusCode::kMethodNotAllowed,
    StatusCode::kConflict,     StatusCode::kPayloadTooLarge,  StatusCode::kUnsupportedMediaType,
    StatusCode::kUnavailable,  StatusCode::kInternal,
};

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
  EXPECT_EQ(http_status_of(StatusCode::kUnauthenticated), 401u);
  EXPECT_EQ(http_status_of(StatusCode::kPermissionDenied), 403u);
  EXPECT_EQ(http_status_of(StatusCode::kNotFound), 404u);
  EXPECT_EQ(http_status_of(StatusCode::kMethodNotAllowed), 405u);
  EXPECT_EQ(http_status_of(StatusCode::kConflict), 409u);
  EXPECT_EQ(http_status_of(StatusCode::kPayloadTooLarge), 413u);
  EXPECT_EQ(http_status_of(StatusCode::kUnsupportedMediaType), 415u);
  EXPECT_EQ(http_status_of(StatusCode::kUnavailable), 503u);
  EXPECT_EQ(http_status_of(StatusCode::kInternal), 500u);
}

TEST(ErrorCodeOf, EveryCodeAsDocumented) {
  EXPECT_EQ(error_code_of(StatusCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(error_code_of(StatusCode::kUnauthenticated), "unauthorized");
  EXPECT_EQ(error_code_of(StatusCode::kPermissionDenied), "forbidden");
  EXPECT_EQ(error_code_of(StatusCode::kNotFound), "not_found");
  EXPECT_EQ(error_code_of(StatusCode::kMethodNotAllowed), "method_not_allowed");
  EXPECT_EQ(error_code_of(StatusCode::kConflict), "conflict");
  EXPECT_EQ(error_code_of(StatusCode::kPayloadTooLarge), "payload_too_large");
  EXPECT_EQ(error_code_of(StatusCode::kUnsupportedMediaType), "unsupported_media_type");
  EXPECT_EQ(error_code_of(StatusCode::kUnavailable), "unavailable");
  EXPECT_EQ(error_code_of(StatusCode::kInternal), "internal");
  std::set<std::string_view> distinct;
  for (StatusCode c : kAllCodes) distinct.insert(error_code_of(c));
  EXPECT_EQ(distinct.size(), std::size(kAllCodes));
}

TEST(ErrorResponse, BodyShape) {
  Request req = make_request();
  Response res = error_response(Status::Invalid("agent_id must not be empty", "agent_id"), req, "req-123");
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
  Response res = error_response(Status::NotFound("no route for GET /nope"), req, "r");
  EXPECT_EQ(res.result_int(), 404u);
  json e = body_of(res)["error"];
  EXPECT_EQ(e["code"], "not_found");
  EXPECT_FALSE(e.contains("field")) << res.body();
  EXPECT_EQ(e["request_id"], "r");
}

TEST(ErrorResponse, StatusAndCodeForEveryErrorCode) {
  Request req = make_request();
  for (StatusCode c : kAllCodes) {
    if (c == StatusCode::kOk) continue;
    Response res = error_response(Status(c, "m"), req, "r");
    EXPECT_EQ(res.result_int(), http_status_of(c));
    EXPECT_EQ(body_of(res)["error"]["code"], std::string(error_code_of(c)));
  }
}

TEST(ErrorResponse, ReasonRefinesTheCode) {
  Request req = make_request();
  Response res = error_response(
      Status::Invalid("request body is not valid JSON: x", "body").with_reason("invalid_json"), req, "r");
  EXPECT_EQ(res.result_int(), 400u);
  json e = body_of(res)["error"];
  EXPECT_EQ(e["code"], "invalid_json");
  EXPECT_EQ(e["field"], "body");
  // Blaming the body without the reason (valid JSON of the wrong shape) is not invalid_json.
  res = error_response(Status::Invalid("an execution must be a JSON object, got an array", "body"), req, "r");
  EXPECT_EQ(body_of(res)["error"]["code"], "invalid_argument");
}

TEST(ErrorResponse, InvalidJsonOnlyForInvalidArgument) {
  Request req = make_request();
  Response res = error_response(Status(StatusCode::kPayloadTooLarge, "too big", "body"), req, "r");
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(body_of(res)["error"]["code"], "payload_too_large");
  // Another field is not the body.
  res = error_response(Status::Invalid("bad", "bodyx"), req, "r");
  EXPECT_EQ(body_of(res)["error"]["code"], "invalid_argument");
}

TEST(ErrorResponse, CodeOverrideWins) {
  Request req = make_request();
  Response res = error_response(Status::Invalid("2 records are invalid"), req, "r", "invalid_batch");
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(body_of(res)["error"]["code"], "invalid_batch");
  res = error_response(Status::Invalid("x", "body"), req, "r", "invalid_batch");
  EXPECT_EQ(body_of(res)["error"]["code"], "invalid_batch");
}

TEST(ErrorResponse, ExtraJsonIsSplicedIntoTheErrorObject) {
  Request req = make_request();
  Response res = error_response(Status::Invalid("1 of 2 records are invalid"), req, "r", "invalid_batch",
                                R"("errors":[{"index":1,"field":"agent_id","message":"agent_id is required"}])");
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
  Response res = error_response(Status::Unavailable("the store is unreachable"), req, "r");
  EXPECT_EQ(res.result_int(), 503u);
  ASSERT_TRUE(res.count(beast_http::field::retry_after));
  int seconds = std::stoi(std::string(res[beast_http::field::retry_after]));
  EXPECT_GE(seconds, 1);
  for (StatusCode c : kAllCodes) {
    if (c == StatusCode::kUnavailable || c == StatusCode::kOk) continue;
    EXPECT_FALSE(error_response(Status(c, "m"), req, "r").count(beast_http::field::retry_after));
  }
}

TEST(ErrorResponse, MessagesFieldsAndIdsAreEscaped) {
  Request req = make_request();
  const std::string message = "execution_id 'a\"b' was \\ already\nrecorded\twith\r\x01 content é";
  const std::string field = "weird\"field\n";
  const std::string rid = "id\"\\";
  Response res = error_response(Status::Conflict(message, field), req, rid);
  json e = body_of(res)["error"];
  EXPECT_EQ(e["message"], message);
  EXPECT_EQ(e["field"], field);
  EXPECT_EQ(e["request_id"], rid);
  EXPECT_EQ(res.body().find('\n'), std::string::npos) << "raw newlines must be escaped";
}

TEST(ErrorResponse, KeepsTheRequestsHttpVersion) {
  Request req = make_request(10);
  EXPECT_EQ(error_response(Status::Internal("x"), req, "r").version(), 10u);
}

TEST(ErrorResponse, FromARequestContext) {
  Request req = make_request();
  RequestContext ctx{req, "/agent/performance", {}, {}, "ctx-id"};
  Response res = error_response(Status::Invalid("bad", "task_id"), ctx);
  json e = body_of(res)["error"];
  EXPECT_EQ(e["request_id"], "ctx-id");
  EXPECT_EQ(e["field"], "task_id");
  res = error_response(Status::Conflict("c"), ctx, "conflict", R"("errors":[])");
  e = body_of(res)["error"];
  EXPECT_EQ(res.result_int(), 409u);
  EXPECT_TRUE(e["errors"].is_array());
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
