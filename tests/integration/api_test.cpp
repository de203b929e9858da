// The HTTP API over real HTTP against the real binary, on SQLite and on PostgreSQL: the same
// suite for both backends. Bad input is tested as seriously as good input: every refusal is
// a 4xx JSON error naming the field, nothing is stored, and the server keeps serving.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "server_process.hpp"

namespace agentlearn {
namespace {

using boost::beast::http::verb;
using json = nlohmann::json;
using testing::ServerProcess;

class ApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = testing::fresh_store_url(GetParam());
    ASSERT_FALSE(db_.empty());
    server_ = std::make_unique<ServerProcess>(db_);
    ASSERT_TRUE(server_->wait_ready()) << server_->log();
    client_ = std::make_unique<HttpClient>(server_->url());
  }

  ClientResponse call(verb method, const std::string& target, const std::string& body = {},
                      const std::string& content_type = "application/json") {
    auto r = client_->request(method, target, body, content_type);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : ClientResponse{};
  }
  ClientResponse post(const std::string& body, const std::string& target = "/agent/performance",
                      const std::string& content_type = "application/json") {
    return call(verb::post, target, body, content_type);
  }
  int64_t stored_count() {
    auto r = call(verb::get, "/agents/performance");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false).value("total_executions", int64_t{-1});
  }
  // A 4xx JSON error naming `field` (empty: no field), with the request id.
  void expect_error(const ClientResponse& r, int status, const std::string& field, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << what << ": " << r.body;
    EXPECT_TRUE(j["error"]["code"].is_string()) << what;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty()) << what;
    EXPECT_EQ(j["error"].value("request_id", ""), r.request_id) << what;
    if (field.empty()) {
      EXPECT_FALSE(j["error"].contains("field")) << what << ": " << r.body;
    } else {
      EXPECT_EQ(j["error"].value("field", ""), field) << what << ": " << r.body;
    }
  }

  std::string db_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

const char* kValid =
    R"({"agent_id":"coder-1","task_id":"t-1","execution_time":12.5,"success":true,"task_type":"debugging",
        "task_description":"Fix the flaky test","execution_id":"e-1","context":{"priority":"high"},
        "metrics":{"cost_usd":0.25,"tokens_in":1200},"timestamp":"2026-01-02T03:04:05Z"})";

TEST_P(ApiTest, HealthReportsTheStore) {
  auto r = call(verb::get, "/health");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "healthy");
  EXPECT_EQ(j["database"], "connected");
  EXPECT_EQ(j["backend"], GetParam());
  EXPECT_TRUE(j["version"].is_string());
  EXPECT_TRUE(j["ml_available"].is_boolean());
  EXPECT_TRUE(j["uptime_seconds"].is_number());
  EXPECT_TRUE(j["models_loaded"].is_array());
  EXPECT_FALSE(r.request_id.empty());
}

TEST_P(ApiTest, RecordDuplicateAndConflict) {
  auto r = post(kValid);
  ASSERT_EQ(r.status, 201) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "recorded");
  const int64_t id = j["id"];
  EXPECT_GT(id, 0);
  EXPECT_TRUE(j["anomaly_score"].is_null());
  EXPECT_TRUE(j["anomaly"].is_null());

  r = post(kValid);  // a retry: same execution_id, same content
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"], "duplicate");
  EXPECT_EQ(json::parse(r.body)["id"], id);

  json changed = json::parse(kValid);
  changed["success"] = false;
  r = post(changed.dump());
  expect_error(r, 409, "execution_id", "same execution_id, other content");
  EXPECT_EQ(stored_count(), 1);

  // Without a timestamp the server stamps the time of receipt; that is not content.
  const std::string no_ts = R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"execution_id":"e-2"})";
  ASSERT_EQ(post(no_ts).status, 201);
  EXPECT_EQ(post(no_ts).status, 200);
  // Without an execution_id every request is a new execution.
  const std::string anonymous = R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true})";
  EXPECT_EQ(post(anonymous).status, 201);
  EXPECT_EQ(post(anonymous).status, 201);
  EXPECT_EQ(stored_count(), 4);
}

TEST_P(ApiTest, BadInputIsRefusedNamingTheFieldAndStoresNothing) {
  struct Case {
    std::string what, body, field;
    int status = 400;
    std::string content_type = "application/json";
  };
  const std::string deep = std::string(R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"metrics":)") +
                           std::string(20, '[') + std::string(20, ']') + "}";
  std::string deep_obj = "1";
  for (int i = 0; i < 12; ++i) deep_obj = "{\"x\":" + deep_obj + "}";
  const std::vector<Case> cases = {
      {"malformed JSON", R"({"agent_id": "a", )", "body"},
      {"not an object", R"([1,2,3])", "body"},
      {"empty body", "", "body"},
      {"agent_id missing", R"({"task_id":"t","execution_time":1,"success":true})", "agent_id"},
      {"task_id missing", R"({"agent_id":"a","execution_time":1,"success":true})", "task_id"},
      {"execution_time missing", R"({"agent_id":"a","task_id":"t","success":true})", "execution_time"},
      {"success missing", R"({"agent_id":"a","task_id":"t","execution_time":1})", "success"},
      {"agent_id a number", R"({"agent_id":7,"task_id":"t","execution_time":1,"success":true})", "agent_id"},
      {"success a string", R"({"agent_id":"a","task_id":"t","execution_time":1,"success":"yes"})", "success"},
      {"execution_time a string", R"({"agent_id":"a","task_id":"t","execution_time":"1","success":true})",
       "execution_time"},
      {"context an array", R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"context":[1]})",
       "context"},
      {"metrics a string", R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"metrics":"x"})",
       "metrics"},
      {"empty agent_id", R"({"agent_id":"","task_id":"t","execution_time":1,"success":true})", "agent_id"},
      {"empty task_type", R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"task_type":""})",
       "task_type"},
      {"NaN", R"({"agent_id":"a","task_id":"t","execution_time":NaN,"success":true})", "body"},
      {"Infinity", R"({"agent_id":"a","task_id":"t","execution_time":Infinity,"success":true})", "body"},
      {"huge number", R"({"agent_id":"a","task_id":"t","execution_time":1e400,"success":true})", "body"},
      {"negative time", R"({"agent_id":"a","task_id":"t","execution_time":-1,"success":true})", "execution_time"},
      {"absurd time", R"({"agent_id":"a","task_id":"t","execution_time":1e300,"success":true})", "execution_time"},
      {"negative cost",
       R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"metrics":{"cost_usd":-2}})",
       "metrics.cost_usd"},
      {"bad timestamp", R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"timestamp":"yesterday"})",
       "timestamp"},
      {"Feb 30", R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"timestamp":"2026-02-30T00:00:00Z"})",
       "timestamp"},
      {"control character in id", "{\"agent_id\":\"a\\u0001b\",\"task_id\":\"t\",\"execution_time\":1,\"success\":true}",
       "agent_id"},
      {"newline in execution_id",
       "{\"agent_id\":\"a\",\"task_id\":\"t\",\"execution_time\":1,\"success\":true,\"execution_id\":\"x\\ny\"}",
       "execution_id"},
      {"NUL in description",
       "{\"agent_id\":\"a\",\"task_id\":\"t\",\"execution_time\":1,\"success\":true,\"task_description\":\"a\\u0000\"}",
       "task_description"},
      {"NUL in context", R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"context":{"k":"a\u0000"}})",
       "context"},
      {"invalid UTF-8", "{\"agent_id\":\"a\xff\xfe\",\"task_id\":\"t\",\"execution_time\":1,\"success\":true}", "body"},
      {"over-long agent_id",
       R"({"agent_id":")" + std::string(300, 'a') + R"(","task_id":"t","execution_time":1,"success":true})",
       "agent_id"},
      {"deeply nested metrics (arrays)", deep, "metrics"},
      {"deeply nested context (objects)",
       R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true,"context":)" + deep_obj + "}", "context"},
      {"text/plain", kValid, "Content-Type", 415, "text/plain"},
      {"form encoded", kValid, "Content-Type", 415, "application/x-www-form-urlencoded"},
  };
  for (const Case& c : cases) {
    auto r = post(c.body, "/agent/performance", c.content_type);
    expect_error(r, c.status, c.field, c.what);
  }
  EXPECT_EQ(stored_count(), 0);
  EXPECT_EQ(call(verb::get, "/health").status, 200);
}

TEST_P(ApiTest, HostileStringsAreStoredVerbatim) {
  const std::string nasty = "x'; DROP TABLE executions; -- \\\" % _ \u00e9\u4e2d\U0001F600";
  json e = {{"agent_id", nasty}, {"task_id", nasty}, {"execution_time", 1}, {"success", true},
            {"task_type", nasty}, {"task_description", nasty + "\n\tline two"}, {"execution_id", nasty},
            {"context", {{nasty, nasty}}}, {"metrics", {{"note", nasty}}}};
  auto r = post(e.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(post(e.dump()).status, 200);  // the same again is a duplicate: found by that id
  r = call(verb::get, "/agents/performance?agent_id=" + std::string("x%27%3B%20DROP%20TABLE%20executions%3B%20--%20") +
                          "%5C%22%20%25%20_%20%C3%A9%E4%B8%AD%F0%9F%98%80");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  ASSERT_EQ(j["agents"].size(), 1u) << r.body;
  EXPECT_EQ(j["agents"][0]["agent_id"], nasty);
  // Unknown members are accepted and ignored (documented).
  json extra = json::parse(kValid);
  extra["execution_id"] = "e-extra";
  extra["favourite_colour"] = "blue";
  EXPECT_EQ(post(extra.dump()).status, 201);
}

TEST_P(ApiTest, BatchIsAllOrNothing) {
  json records = json::array();
  for (int i = 0; i < 50; ++i) {
    records.push_back({{"agent_id", "agent-" + std::to_string(i % 3)}, {"task_id", "t" + std::to_string(i)},
                       {"execution_time", i + 1}, {"success", i % 2 == 0}, {"execution_id", "b-" + std::to_string(i)}});
  }
  // Two bad records: every one is listed, nothing is stored.
  json bad = records;
  bad[7].erase("success");
  bad[31]["execution_time"] = -5;
  auto r = post(json{{"records", bad}}.dump(), "/agent/performance/batch");
  ASSERT_EQ(r.status, 400) << r.body;
  json err = json::parse(r.body)["error"];
  EXPECT_EQ(err["code"], "invalid_batch");
  ASSERT_EQ(err["errors"].size(), 2u) << r.body;
  EXPECT_EQ(err["errors"][0]["index"], 7);
  EXPECT_EQ(err["errors"][0]["field"], "success");
  EXPECT_EQ(err["errors"][1]["index"], 31);
  EXPECT_EQ(err["errors"][1]["field"], "execution_time");
  EXPECT_EQ(stored_count(), 0);

  r = post(json{{"records", records}}.dump(), "/agent/performance/batch");
  ASSERT_EQ(r.status, 201) << r.body;
  json ok = json::parse(r.body);
  EXPECT_EQ(ok["recorded"], 50);
  EXPECT_EQ(ok["duplicates"], 0);
  ASSERT_EQ(ok["ids"].size(), 50u);
  EXPECT_EQ(stored_count(), 50);

  // Again with two new ones: 48 + 2 duplicates... all 50 old are duplicates, 2 are new.
  json more = records;
  more.push_back({{"agent_id", "agent-9"}, {"task_id", "x"}, {"execution_time", 1}, {"success", true}});
  more.push_back({{"agent_id", "agent-9"}, {"task_id", "y"}, {"execution_time", 2}, {"success", true}});
  r = post(json{{"records", more}}.dump(), "/agent/performance/batch");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["recorded"], 2);
  EXPECT_EQ(json::parse(r.body)["duplicates"], 50);
  EXPECT_EQ(json::parse(r.body)["ids"][0], ok["ids"][0]);  // a duplicate's id is the stored one
  EXPECT_EQ(stored_count(), 52);

  // A conflict anywhere stores nothing of the batch.
  json conflicting = json::array({{{"agent_id", "n"}, {"task_id", "n"}, {"execution_time", 1}, {"success", true},
                                   {"execution_id", "fresh-1"}},
                                  records[3]});
  conflicting[1]["success"] = !records[3]["success"].get<bool>();
  r = post(json{{"records", conflicting}}.dump(), "/agent/performance/batch");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["errors"][0]["index"], 1);
  EXPECT_EQ(stored_count(), 52);

  // The same execution_id twice in one batch: the second is a duplicate of the first.
  json twice = json::array({{{"agent_id", "d"}, {"task_id", "d"}, {"execution_time", 1}, {"success", true},
                             {"execution_id", "twice"}}});
  twice.push_back(twice[0]);
  r = post(json{{"records", twice}}.dump(), "/agent/performance/batch");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["recorded"], 1);
  EXPECT_EQ(json::parse(r.body)["ids"][0], json::parse(r.body)["ids"][1]);
}

TEST_P(ApiTest, BatchAcceptsNdjsonAndRefusesBadShapes) {
  std::string nd;
  for (int i = 0; i < 20; ++i) {
    nd += json{{"agent_id", "nd"}, {"task_id", "t" + std::to_string(i)}, {"execution_time", 2}, {"success", true}}.dump();
    nd += i % 5 == 0 ? "\r\n\n" : "\n";
  }
  auto r = post(nd, "/agent/performance/batch", "application/x-ndjson");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["recorded"], 20);

  r = post("{\"agent_id\":\"nd\"}\nnot json\n", "/agent/performance/batch", "application/x-ndjson");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["errors"].size(), 2u);

  expect_error(post(R"({"records":[]})", "/agent/performance/batch"), 400, "records", "empty batch");
  expect_error(post(R"({"records":{}})", "/agent/performance/batch"), 400, "records", "records an object");
  expect_error(post(R"({"rows":[]})", "/agent/performance/batch"), 400, "records", "records missing");
  expect_error(post("[", "/agent/performance/batch"), 400, "body", "malformed batch");
  expect_error(post("x", "/agent/performance/batch", "text/csv"), 415, "Content-Type", "csv batch");
  json too_many = json::array();
  for (int i = 0; i < 10001; ++i) too_many.push_back({{"agent_id", "a"}, {"task_id", "t"}, {"execution_time", 1}, {"success", true}});
  expect_error(post(json{{"records", too_many}}.dump(), "/agent/performance/batch"), 400, "records", "10,001 records");
  EXPECT_EQ(stored_count(), 20);
}

TEST_P(ApiTest, AgentsPerformanceComputesNumpyPercentilesAndFilters) {
  // numpy.percentile([1, 2, 3, 4, 10], [50, 95, 99]) == [3, 8.8, 9.76]
  const double times[] = {1, 2, 3, 4, 10};
  json records = json::array();
  for (int i = 0; i < 5; ++i) {
    records.push_back({{"agent_id", "alpha"}, {"task_id", "t" + std::to_string(i)}, {"execution_time", times[i]},
                       {"success", i < 4}, {"task_type", i < 3 ? "debugging" : "review"},
                       {"metrics", i < 2 ? json{{"cost_usd", 0.5 * (i + 1)}} : json::object()},
                       {"timestamp", "2026-01-0" + std::to_string(i + 1) + "T00:00:00Z"}});
  }
  records.push_back({{"agent_id", "beta"}, {"task_id", "t9"}, {"execution_time", 7}, {"success", false},
                     {"timestamp", "2026-02-01T00:00:00Z"}});
  ASSERT_EQ(post(json{{"records", records}}.dump(), "/agent/performance/batch").status, 201);

  auto r = call(verb::get, "/agents/performance");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["total_executions"], 6);
  ASSERT_EQ(j["agents"].size(), 2u);
  json a = j["agents"][0];
  EXPECT_EQ(a["agent_id"], "alpha");
  EXPECT_EQ(a["executions"], 5);
  EXPECT_EQ(a["successes"], 4);
  EXPECT_DOUBLE_EQ(a["success_rate"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(a["execution_time"]["mean"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(a["execution_time"]["p50"].get<double>(), 3.0);
  EXPECT_NEAR(a["execution_time"]["p95"].get<double>(), 8.8, 1e-9);
  EXPECT_NEAR(a["execution_time"]["p99"].get<double>(), 9.76, 1e-9);
  EXPECT_DOUBLE_EQ(a["mean_cost_usd"].get<double>(), 0.75);
  EXPECT_EQ(a["last_seen"], "2026-01-05T00:00:00Z");
  EXPECT_TRUE(j["agents"][1]["mean_cost_usd"].is_null());

  r = call(verb::get, "/agents/performance?task_type=debugging");
  j = json::parse(r.body);
  EXPECT_EQ(j["total_executions"], 3);
  EXPECT_EQ(j["filters"]["task_type"], "debugging");
  EXPECT_TRUE(j["filters"]["since"].is_null());

  // since inclusive, until exclusive; RFC 3339 or Unix seconds.
  r = call(verb::get, "/agents/performance?since=2026-01-02T00:00:00Z&until=1767571200");  // until 2026-01-05
  j = json::parse(r.body);
  EXPECT_EQ(j["total_executions"], 3) << r.body;
  EXPECT_EQ(j["filters"]["until"], "2026-01-05T00:00:00Z");

  r = call(verb::get, "/agents/performance?since=2026-01-02T00%3A00%3A00%2B01%3A00");  // +01:00, escaped
  EXPECT_EQ(json::parse(r.body)["total_executions"], 5) << r.body;

  expect_error(call(verb::get, "/agents/performance?since=last-week"), 400, "since", "bad since");
  expect_error(call(verb::get, "/agents/performance?until=2026-13-01T00:00:00Z"), 400, "until", "bad until");
  expect_error(call(verb::get, "/agents/performance?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z"), 400,
               "since", "since after until");
  expect_error(call(verb::get, "/agents/performance?task_type="), 400, "task_type", "empty task_type");
  expect_error(call(verb::get, "/agents/performance?since=%zz"), 400, "since", "bad escape");
  expect_error(call(verb::get, "/agents/performance?%zz=1"), 400, "target", "bad escape in a name");
}

TEST_P(ApiTest, UnknownRoutesAndMethodsAreJsonErrors) {
  auto r = call(verb::get, "/nope");
  expect_error(r, 404, "", "unknown route");
  r = call(verb::delete_, "/agent/performance");
  expect_error(r, 405, "", "wrong method");
  const std::string raw = testing::raw_http(server_->port(), "PUT /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_NE(raw.find("405"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Allow: GET"), std::string::npos) << raw;
}

TEST_P(ApiTest, RequestIdIsEchoedOrMade) {
  std::string raw = testing::raw_http(
      server_->port(), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: trace-42.a_b\r\nConnection: close\r\n\r\n");
  EXPECT_NE(raw.find("X-Request-Id: trace-42.a_b"), std::string::npos) << raw;
  raw = testing::raw_http(server_->port(),
                          "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: bad id\x01\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.find("bad id"), std::string::npos) << raw;
  EXPECT_NE(raw.find("X-Request-Id: "), std::string::npos) << raw;
}

TEST_P(ApiTest, MetricsAndOpenApiAreServed) {
  ASSERT_EQ(post(kValid).status, 201);
  auto r = call(verb::get, "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.content_type.find("text/plain"), std::string::npos);
  EXPECT_NE(r.body.find("executions_recorded_total 1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("http_requests_total{route=\"/agent/performance\",method=\"POST\",status=\"201\"} 1"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(r.body.find("store_up 1"), std::string::npos);
  r = call(verb::get, "/openapi.json");
  ASSERT_EQ(r.status, 200);
  json doc = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(doc.is_object());
  EXPECT_TRUE(doc["openapi"].get<std::string>().rfind("3.", 0) == 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

// Auth, CORS and the loopback rule need their own server flags; SQLite suffices.
class ServerFlagsTest : public ::testing::Test {
 protected:
  std::string db() { return testing::fresh_store_url("sqlite"); }
};

TEST_F(ServerFlagsTest, TokensAndRoles) {
  ServerProcess server(db(), {"--auth-token", "ing:ingest", "--auth-token", "adm:admin"},
                       {{"AGENTLEARN_TOKENS", "rd:read"}});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  HttpClient c(server.url());
  auto req = [&](verb m, const std::string& target, const std::string& token, const std::string& body = {}) {
    auto r = c.request(m, target, body, "application/json", token);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value() : ClientResponse{};
  };
  EXPECT_EQ(req(verb::get, "/health", "").status, 200);  // open
  EXPECT_EQ(req(verb::post, "/agent/performance", "", kValid).status, 401);
  EXPECT_EQ(req(verb::post, "/agent/performance", "wrong", kValid).status, 401);
  EXPECT_EQ(req(verb::post, "/agent/performance", "rd", kValid).status, 403);
  EXPECT_EQ(req(verb::get, "/agents/performance", "ing").status, 403);
  EXPECT_EQ(req(verb::get, "/agents/performance", "").status, 401);
  EXPECT_EQ(req(verb::get, "/metrics", "").status, 401);
  EXPECT_EQ(req(verb::post, "/agent/performance", "ing", kValid).status, 201);
  EXPECT_EQ(req(verb::get, "/agents/performance", "rd").status, 200);
  EXPECT_EQ(req(verb::get, "/metrics", "rd").status, 200);
  EXPECT_EQ(req(verb::get, "/agents/performance", "adm").status, 200);
  auto r = req(verb::post, "/agent/performance", "rd", kValid);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "forbidden");
}

TEST_F(ServerFlagsTest, PublicMetrics) {
  ServerProcess server(db(), {"--auth-token", "adm:admin", "--public-metrics"});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  HttpClient c(server.url());
  EXPECT_EQ(c.request(verb::get, "/metrics").value().status, 200);
  EXPECT_EQ(c.request(verb::get, "/agents/performance").value().status, 401);
}

TEST_F(ServerFlagsTest, NonLoopbackNeedsTokensOrInsecure) {
  ServerProcess refused(db(), {"--host", "0.0.0.0"});
  EXPECT_EQ(refused.wait_exit(testing::kEventLimit), 2) << refused.log();
  EXPECT_NE(refused.log().find("without API tokens"), std::string::npos) << refused.log();
  ServerProcess insecure(db(), {"--host", "0.0.0.0", "--insecure"});
  EXPECT_TRUE(insecure.wait_ready()) << insecure.log();
}

TEST_F(ServerFlagsTest, CorsOffByDefaultAndPreflightWhenConfigured) {
  const std::string preflight =
      "OPTIONS /agent/performance HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://ui.example\r\n"
      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n"
      "Connection: close\r\n\r\n";
  {
    ServerProcess plain(db());
    ASSERT_TRUE(plain.wait_ready()) << plain.log();
    std::string raw = testing::raw_http(plain.port(), preflight);
    EXPECT_EQ(raw.find("Access-Control-Allow-Origin"), std::string::npos) << raw;
  }
  ServerProcess server(db(), {"--cors-origin", "https://ui.example", "--auth-token", "adm:admin"});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  std::string raw = testing::raw_http(server.port(), preflight);
  EXPECT_NE(raw.find("204"), std::string::npos) << raw;  // preflight needs no token
  EXPECT_NE(raw.find("Access-Control-Allow-Origin: https://ui.example"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Access-Control-Allow-Methods: POST"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Authorization"), std::string::npos) << raw;
  raw = testing::raw_http(server.port(),
                          "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://ui.example\r\nConnection: close\r\n\r\n");
  EXPECT_NE(raw.find("Access-Control-Allow-Origin: https://ui.example"), std::string::npos) << raw;
  raw = testing::raw_http(server.port(),
                          "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.find("Access-Control-Allow-Origin"), std::string::npos) << raw;
  raw = testing::raw_http(server.port(), "OPTIONS /agent/performance HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\n"
                                         "Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
  EXPECT_NE(raw.find("403"), std::string::npos) << raw;
}

TEST_F(ServerFlagsTest, ConfigFileEnvironmentAndFlagsPrecedence) {
  const std::string dir = testing::make_temp_dir("agentlearn-config");
  const std::string file = dir + "/learning.yaml";
  {
    std::ofstream out(file);
    out << "database: sqlite:" << dir << "/from-file.db\nauth_tokens: [\"filetoken:read\"]\nlog_level: warn\n";
  }
  ServerProcess server("sqlite:" + dir + "/from-flag.db", {"--config", file});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  HttpClient c(server.url());
  EXPECT_EQ(c.request(verb::get, "/agents/performance", {}, "application/json", "filetoken").value().status, 200);
  EXPECT_TRUE(std::ifstream(dir + "/from-flag.db").good());   // the flag beat the file
  EXPECT_FALSE(std::ifstream(dir + "/from-file.db").good());

  std::ofstream(dir + "/bad.yaml") << "port: [not a number\n";
  ServerProcess bad("sqlite:" + dir + "/x.db", {"--config", dir + "/bad.yaml"});
  EXPECT_EQ(bad.wait_exit(testing::kEventLimit), 2) << bad.log();
}

}  // namespace
}  // namespace agentlearn
