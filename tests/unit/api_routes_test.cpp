// The API's routes (api_routes.cpp and learning_routes.cpp) over a fake LearningApi, through
// the real Router and Server on a loopback port: each route's answer as JSON, each service
// Status as the right HTTP error, bad input refused with the field named before the service
// is asked, and the exception boundary wherever a request's work runs (the I/O thread, the
// compute pool, the blocking pool, the service's completion callbacks): a logged 500 that
// shows nothing of the fault, on a connection that keeps serving.
#include <gtest/gtest.h>

#include <string>

#include "fake_learning_api.hpp"
#include "http/api_routes.hpp"
#include "route_server.hpp"

namespace agentlearn {
namespace {

using nlohmann::json;
using testing::FakeLearningApi;
using testing::json_of;
using verb = boost::beast::http::verb;

constexpr const char* kRecord =
    R"({"agent_id":"coder","task_id":"t1","execution_time":42.5,"success":true,"task_type":"debugging"})";

class ApiRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ApiLimits limits;
    limits.max_batch_records = 3;
    server.start(http::build_api_router({fake, server.registry(), server.blocking, server.compute, limits}));
  }
  void TearDown() override { server.stop(); }

  // The error object of an error answer, checked for the status, code and request id.
  json expect_error(const ClientResponse& res, int status, const std::string& code, const std::string& field = {}) {
    EXPECT_EQ(res.status, status) << res.body;
    json j = json_of(res);
    EXPECT_TRUE(j.contains("error")) << res.body;
    if (!j.contains("error")) return {};
    json e = j["error"];
    EXPECT_EQ(e.value("code", ""), code) << res.body;
    EXPECT_EQ(e.value("request_id", ""), res.request_id) << res.body;
    EXPECT_FALSE(res.request_id.empty());
    if (!field.empty()) {
      EXPECT_EQ(e.value("field", ""), field) << res.body;
    }
    return e;
  }

  // A 500 that names nothing of the fault, logged at error level with the request id, the
  // route and what(); then the same connection answers the next request.
  void expect_internal_error(const ClientResponse& res, const std::string& route, const std::string& op) {
    EXPECT_EQ(res.status, 500) << res.body;
    EXPECT_EQ(res.body, R"({"error":{"code":"internal","message":"internal error","request_id":")" + res.request_id +
                            R"("}})");
    EXPECT_EQ(res.body.find(FakeLearningApi::kSecret), std::string::npos);
    auto lines = server.log().await_lines_with({res.request_id, route, "fake failure in " + op, FakeLearningApi::kSecret});
    EXPECT_EQ(lines.size(), 1u) << "no log line with the request id, route and what() for " << route;
    for (const auto& line : lines) EXPECT_NE(line.find("error"), std::string::npos) << line;
    fake.throw_in.clear();
    ClientResponse next = server.get("/learning/mode");
    EXPECT_EQ(next.status, 200) << "the connection must keep serving after a 500: " << next.body;
  }

  FakeLearningApi fake;
  testing::RouteServer server;
};

// --- happy paths: the service's answer as the route's JSON ---

TEST_F(ApiRoutes, HealthReportsTheService) {
  ClientResponse res = server.get("/health");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_EQ(j["status"], "healthy");
  EXPECT_EQ(j["database"], "connected");
  EXPECT_EQ(j["backend"], "fake");
  EXPECT_EQ(j["ml_available"], false);
  EXPECT_TRUE(j["model_set"].is_null());
  EXPECT_EQ(j["uptime_seconds"], 1.5);
  EXPECT_EQ(j["similar_tasks"]["ready"], false);

  fake.health_report.store_connected = false;
  res = server.get("/health");
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.retry_after, "5");
  EXPECT_EQ(json_of(res)["status"], "degraded");
}

TEST_F(ApiRoutes, RecordAnswersWhatTheServiceStored) {
  fake.record_outcome = FakeLearningApi::ok_outcome(1);
  fake.record_outcome.results[0].id = 6001;
  fake.record_outcome.results[0].anomaly_score = 0.25;
  fake.record_outcome.results[0].anomaly = false;
  ClientResponse res = server.post("/agent/performance", kRecord);
  EXPECT_EQ(res.status, 201) << res.body;
  EXPECT_EQ(res.body, R"({"status":"recorded","id":6001,"anomaly_score":0.25,"anomaly":false})");
  auto calls = fake.calls();
  ASSERT_EQ(calls.records.size(), 1u);
  EXPECT_EQ(calls.records[0].agent_id, "coder");
  EXPECT_EQ(calls.records[0].execution_time, 42.5);

  fake.record_outcome.results[0].duplicate = true;
  res = server.post("/agent/performance", kRecord);
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"status":"duplicate","id":6001})");
}

TEST_F(ApiRoutes, BatchAnswersIdsAndDuplicates) {
  fake.record_outcome = FakeLearningApi::ok_outcome(2);
  fake.record_outcome.results[1].duplicate = true;
  const std::string body = std::string(R"({"records":[)") + kRecord + "," + kRecord + "]}";
  ClientResponse res = server.post("/agent/performance/batch", body);
  EXPECT_EQ(res.status, 201) << res.body;
  EXPECT_EQ(res.body, R"({"status":"recorded","recorded":1,"duplicates":1,"ids":[1,2]})");
  EXPECT_EQ(fake.calls().records.size(), 2u);
  // NDJSON too.
  res = server.post("/agent/performance/batch", std::string(kRecord) + "\n" + kRecord + "\n", "application/x-ndjson");
  EXPECT_EQ(res.status, 201) << res.body;
}

TEST_F(ApiRoutes, AgentsPerformanceEchoesTheFilter) {
  AgentsPerformanceReport report;
  AgentPerformance a;
  a.agent_id = "coder";
  a.executions = 4;
  a.successes = 3;
  a.success_rate = 0.75;
  a.time_mean = 2;
  a.mean_cost_usd = 0.5;
  report.agents.push_back(a);
  report.total_executions = 4;
  fake.agents = report;
  ClientResponse res = server.get("/agents/performance?task_type=debugging&since=0");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  ASSERT_EQ(j["agents"].size(), 1u);
  EXPECT_EQ(j["agents"][0]["agent_id"], "coder");
  EXPECT_EQ(j["agents"][0]["success_rate"], 0.75);
  EXPECT_EQ(j["agents"][0]["mean_cost_usd"], 0.5);
  EXPECT_EQ(j["total_executions"], 4);
  EXPECT_EQ(j["filters"]["task_type"], "debugging");
  EXPECT_EQ(j["filters"]["since"], "1970-01-01T00:00:00Z");
  EXPECT_TRUE(j["filters"]["agent_id"].is_null());
  auto calls = fake.calls();
  EXPECT_EQ(calls.filter.task_type, "debugging");
  EXPECT_EQ(calls.filter.since_us, 0);
}

TEST_F(ApiRoutes, RecommendAnswersTheServicesPick) {
  RecommendAnswer a;
  a.primary_agent = "coder";
  a.alternative_agents = {"reviewer"};
  a.confidence = 0.68;
  a.reasoning = "because";
  a.mode = "online";
  fake.recommend_answer = a;
  ClientResponse res = server.post("/task/recommend", R"({"task_description":"fix it","top_k":2})");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_EQ(j["primary_agent"], "coder");
  EXPECT_EQ(j["alternative_agents"], json::array({"reviewer"}));
  EXPECT_EQ(j["confidence"], 0.68);
  EXPECT_EQ(j["reasoning"], "because");
  auto calls = fake.calls();
  EXPECT_EQ(calls.recommend.task_description, "fix it");
  EXPECT_EQ(calls.recommend.top_k, 2u);
}

TEST_F(ApiRoutes, AgentRecommendationsAnswerTheProfile) {
  AgentProfile p;
  p.agent_id = "coder";
  p.runs = 10;
  p.successes = 7;
  p.success_rate = 0.7;
  fake.profile = p;
  ClientResponse res = server.get("/agent/coder/recommendations");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_EQ(j["agent_id"], "coder");
  EXPECT_EQ(fake.calls().agent_id, "coder");
  EXPECT_FALSE(fake.calls().profile_task.has_value());

  res = server.get("/agent/coder/recommendations?task_description=fix%20it&task_type=bug&top_k=2");
  ASSERT_EQ(res.status, 200) << res.body;
  auto calls = fake.calls();
  ASSERT_TRUE(calls.profile_task.has_value());
  EXPECT_EQ(calls.profile_task->task_description, "fix it");
  EXPECT_EQ(calls.profile_task->task_type, "bug");
  EXPECT_EQ(calls.profile_task->top_k, 2u);
}

TEST_F(ApiRoutes, LearningMode) {
  fake.mode_setting.mode = LearningMode::kApprentice;
  fake.mode_setting.exploration_rate = 0.1;
  ClientResponse res = server.get("/learning/mode");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_EQ(j["mode"], "apprentice");
  EXPECT_EQ(j["exploration_rate"], 0.1);

  ModeSetting set;
  set.mode = LearningMode::kExploit;
  set.exploration_rate = 0.2;
  fake.set_mode_answer = set;
  res = server.post("/learning/mode", R"({"mode":"exploit","exploration_rate":0.2})");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(json_of(res)["configured_mode"], "exploit");
  auto calls = fake.calls();
  EXPECT_EQ(calls.set_mode, LearningMode::kExploit);
  EXPECT_EQ(calls.set_rate, 0.2);
}

TEST_F(ApiRoutes, TrainQueuesOrWaits) {
  TrainingJob job;
  job.id = "job-1";
  job.status = "queued";
  fake.train_job = job;
  ClientResponse res = server.post("/learning/train", "");
  EXPECT_EQ(res.status, 202) << res.body;
  EXPECT_EQ(res.body, R"({"job_id":"job-1","status":"queued"})");
  EXPECT_EQ(fake.calls().train_trigger, "api");

  fake.finished_job = job;
  fake.finished_job.status = "succeeded";
  fake.finished_job.version = "v1";
  res = server.post("/model/retrain", R"({"wait":true})");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_EQ(j["job_id"], "job-1");
  EXPECT_EQ(j["status"], "succeeded");
  EXPECT_EQ(j["version"], "v1");
}

TEST_F(ApiRoutes, ModelsStatusRollbackAnomaliesSimilar) {
  ClientResponse res = server.get("/models/status");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_TRUE(json_of(res)["active_model_set"].is_null());

  res = server.post("/models/rollback", R"({"version":"v1.2.0"})");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"active_model_set":"v1.2.0","status":"active"})");
  EXPECT_EQ(fake.calls().rollback_version, "v1.2.0");

  StoredRow row;
  row.id = 9;
  row.execution.agent_id = "coder";
  row.anomaly_score = 0.9;
  row.anomaly = true;
  fake.anomaly_rows = std::vector<StoredRow>{row};
  res = server.get("/anomalies?limit=5&since=10");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(json_of(res)["count"], 1);
  EXPECT_EQ(fake.calls().limit, 5u);
  EXPECT_EQ(fake.calls().since_us, 10'000'000);

  SimilarAnswer sim;
  sim.embedding_version = "emb-1";
  sim.source = "index";
  SimilarTask t;
  t.task_id = "t7";
  t.description = "a task";
  t.similarity = 0.9;
  sim.results.push_back(t);
  fake.similar = sim;
  res = server.get("/tasks/similar?q=fix%20the%20crash&k=5&min_similarity=0.5");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  ASSERT_EQ(j["results"].size(), 1u);
  EXPECT_EQ(j["results"][0]["task_id"], "t7");
  EXPECT_EQ(j["embedding_version"], "emb-1");
  auto calls = fake.calls();
  EXPECT_EQ(calls.similar.text, "fix the crash");
  EXPECT_EQ(calls.similar.k, 5u);
  EXPECT_EQ(calls.similar.min_similarity, 0.5);

  // POST takes the same query as a body, for a text too long for a request line (up to a
  // task_description's 64 KiB).
  const std::string long_text(40000, 'w');
  res = server.post("/tasks/similar", json{{"q", long_text}, {"k", 3}, {"min_similarity", -0.25}, {"source", "index"}}.dump());
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(json_of(res)["results"][0]["task_id"], "t7");
  calls = fake.calls();
  EXPECT_EQ(calls.similar.text, long_text);
  EXPECT_EQ(calls.similar.k, 3u);
  EXPECT_EQ(calls.similar.min_similarity, -0.25);
  EXPECT_FALSE(calls.similar.database);
  res = server.post("/tasks/similar", R"({"task_id":"t3"})");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(fake.calls().similar.task_id, "t3");
}

TEST_F(ApiRoutes, ABadSimilarTasksBodyIsRefusedNamingTheMember) {
  const std::pair<std::string, std::string> bad_bodies[] = {
      {R"({})", "q"},
      {R"({"q":"a","task_id":"b"})", "q"},
      {R"({"q":7})", "q"},
      {R"({"q":""})", "q"},
      {R"({"q":"a","k":"5"})", "k"},
      {R"({"q":"a","k":0})", "k"},
      {R"({"q":"a","k":1.5})", "k"},
      {R"({"q":"a","k":-3})", "k"},
      {R"({"q":"a","min_similarity":1.5})", "min_similarity"},
      {R"({"q":"a","min_similarity":"high"})", "min_similarity"},
      {R"({"q":"a","source":"cloud"})", "source"},
      {R"({"q":"a","limit":5})", "limit"},
      {R"({"task_id":""})", "task_id"},
      {json{{"q", std::string(65537, 'a')}}.dump(), "q"},
      {R"([1,2])", "body"},
  };
  for (const auto& [body, field] : bad_bodies) {
    SCOPED_TRACE(body.substr(0, 80));
    expect_error(server.post("/tasks/similar", body), 400, "invalid_argument", field);
  }
  expect_error(server.post("/tasks/similar", "{"), 400, "invalid_json", "body");
  expect_error(server.post("/tasks/similar", R"({"q":"a"})", "text/plain"), 415, "unsupported_media_type");
  EXPECT_EQ(fake.count("similar_tasks"), 0u) << "asked with bad input";
}

// --- the service's Status as the HTTP error ---

TEST_F(ApiRoutes, ServiceStatusesBecomeTheirHttpErrors) {
  fake.record_outcome = WriteOutcome{Status::Invalid("agent_id is not known here", "agent_id"), {}, {}};
  json e = expect_error(server.post("/agent/performance", kRecord), 400, "invalid_argument", "agent_id");
  EXPECT_EQ(e["message"], "agent_id is not known here");

  fake.profile = Status::NotFound("no executions of agent ghost");
  e = expect_error(server.get("/agent/ghost/recommendations"), 404, "not_found");
  EXPECT_EQ(e["message"], "no executions of agent ghost");
  EXPECT_FALSE(e.contains("field"));

  fake.train_job = Status::Conflict("a training run is already going");
  expect_error(server.post("/learning/train", "{}"), 409, "conflict");

  fake.recommend_answer = Status::Unavailable("the store is unreachable");
  ClientResponse res = server.post("/task/recommend", R"({"task_description":"x"})");
  expect_error(res, 503, "unavailable");
  EXPECT_EQ(res.retry_after, "1");

  fake.agents = Status::Unavailable("the store is unreachable");
  res = server.get("/agents/performance");
  expect_error(res, 503, "unavailable");
  EXPECT_EQ(res.retry_after, "1");

  fake.rollback_status = Status::NotFound("no model set v9");
  expect_error(server.post("/models/rollback", R"({"version":"v9"})"), 404, "not_found");

  fake.set_mode_answer = Status::Invalid("exploration_rate must be from 0 to 1", "exploration_rate");
  expect_error(server.post("/learning/mode", R"({"exploration_rate":7})"), 400, "invalid_argument", "exploration_rate");

  fake.similar = Status::NotFound("no stored task t0");
  expect_error(server.get("/tasks/similar?task_id=t0"), 404, "not_found");

  fake.anomaly_rows = Status::Internal("the store answered nonsense");
  expect_error(server.get("/anomalies"), 500, "internal");

  fake.models = Status::Unavailable("down");
  expect_error(server.get("/models/status"), 503, "unavailable");
}

TEST_F(ApiRoutes, ConflictsOfRecordsAndBatches) {
  fake.record_outcome.conflicts.push_back({0, "execution_id", "execution_id 'run-1' was recorded with other content"});
  fake.record_outcome.status = Status::Conflict("conflict");
  json e = expect_error(server.post("/agent/performance", kRecord), 409, "conflict", "execution_id");
  EXPECT_EQ(e["message"], "execution_id 'run-1' was recorded with other content");

  const std::string body = std::string(R"({"records":[)") + kRecord + "]}";
  ClientResponse res = server.post("/agent/performance/batch", body);
  e = expect_error(res, 409, "conflict");
  ASSERT_TRUE(e["errors"].is_array()) << res.body;
  EXPECT_EQ(e["errors"][0]["index"], 0);
  EXPECT_EQ(e["errors"][0]["field"], "execution_id");
}

// --- bad input: a 4xx naming the field, and the service is not asked ---

TEST_F(ApiRoutes, BadRecordsAreRefusedBeforeTheService) {
  expect_error(server.post("/agent/performance", "{not json"), 400, "invalid_json", "body");
  expect_error(server.post("/agent/performance", R"({"agent_id":"a","task_id":"t","execution_time":"3","success":true})"),
               400, "invalid_argument", "execution_time");
  expect_error(server.post("/agent/performance", R"({"task_id":"t","execution_time":3,"success":true})"), 400,
               "invalid_argument", "agent_id");
  expect_error(server.post("/agent/performance", R"({"agent_id":"a","task_id":"t","execution_time":1e12,"success":true})"),
               400, "invalid_argument", "execution_time");
  expect_error(server.post("/agent/performance", std::string(R"({"agent_id":")") + std::string(300, 'a') +
                                                     R"(","task_id":"t","execution_time":1,"success":true})"),
               400, "invalid_argument", "agent_id");
  expect_error(server.post("/agent/performance", kRecord, "text/plain"), 415, "unsupported_media_type", "Content-Type");
  EXPECT_EQ(fake.count("record"), 0u);
}

TEST_F(ApiRoutes, BadBatchesAreRefusedWhole) {
  const std::string body = std::string(R"({"records":[)") + kRecord + R"(,{"agent_id":"b"}]})";
  ClientResponse res = server.post("/agent/performance/batch", body);
  json e = expect_error(res, 400, "invalid_batch");
  ASSERT_TRUE(e["errors"].is_array()) << res.body;
  ASSERT_EQ(e["errors"].size(), 1u);
  EXPECT_EQ(e["errors"][0]["index"], 1);
  expect_error(server.post("/agent/performance/batch", R"({"records":[)" + std::string(kRecord) + "," + kRecord + "," +
                                                           kRecord + "," + kRecord + "]}"),
               400, "invalid_argument");
  expect_error(server.post("/agent/performance/batch", "[1,2", "application/json"), 400, "invalid_json");
  expect_error(server.post("/agent/performance/batch", kRecord, "text/csv"), 415, "unsupported_media_type",
               "Content-Type");
  EXPECT_EQ(fake.count("record"), 0u);
}

TEST_F(ApiRoutes, BadLearningRequestsAreRefusedBeforeTheService) {
  expect_error(server.post("/task/recommend", "{"), 400, "invalid_json", "body");
  expect_error(server.post("/task/recommend", R"({"top_k":2})"), 400, "invalid_argument", "task_description");
  expect_error(server.post("/task/recommend", R"({"task_description":5})"), 400, "invalid_argument", "task_description");
  expect_error(server.post("/task/recommend", R"({"task_description":"x","top_k":100000000})"), 400,
               "invalid_argument", "top_k");
  expect_error(server.post("/task/recommend", R"({"task_description":"x"})", "text/plain"), 415,
               "unsupported_media_type", "Content-Type");
  expect_error(server.get("/agent/a/recommendations?task_type=bug"), 400, "invalid_argument", "task_description");
  expect_error(server.get("/agent/a/recommendations?task_description=x&context=%7B"), 400, "invalid_json",
               "context");
  expect_error(server.get("/agent/a/recommendations?task_description=x&top_k=0"), 400, "invalid_argument", "top_k");
  expect_error(server.post("/learning/mode", R"({"mode":3})"), 400, "invalid_argument", "mode");
  expect_error(server.post("/learning/mode", R"({"mode":"greedy"})"), 400, "invalid_argument", "mode");
  expect_error(server.post("/learning/mode", R"({"exploration_rate":"high"})"), 400, "invalid_argument",
               "exploration_rate");
  expect_error(server.post("/learning/mode", "{}"), 400, "invalid_argument", "mode");
  expect_error(server.post("/learning/mode", "[]"), 400, "invalid_argument", "body");
  expect_error(server.post("/learning/train", R"({"wait":"yes"})"), 400, "invalid_argument", "wait");
  expect_error(server.post("/learning/train", "nope"), 400, "invalid_json", "body");
  expect_error(server.post("/models/rollback", "{}"), 400, "invalid_argument", "version");
  expect_error(server.post("/models/rollback", R"({"version":""})"), 400, "invalid_argument", "version");
  expect_error(server.post("/models/rollback", R"({"version":")" + std::string(300, 'v') + R"("})"), 400,
               "invalid_argument", "version");
  expect_error(server.post("/models/rollback", R"({"version":"v1"})", "text/plain"), 415, "unsupported_media_type");
  // Query parameters: the target and the field its answer must name.
  const std::pair<std::string, std::string> bad_queries[] = {
      {"/anomalies?limit=0", "limit"},
      {"/anomalies?limit=99999999999999999999", "limit"},
      {"/anomalies?since=yesterday", "since"},
      {"/agents/performance?since=yesterday", "since"},
      {"/agents/performance?since=20&until=10", "since"},
      {"/agents/performance?task_type=", "task_type"},
      {"/tasks/similar", "q"},
      {"/tasks/similar?q=a&task_id=b", "q"},
      {"/tasks/similar?q=a&k=100000", "k"},
      {"/tasks/similar?q=a&min_similarity=2", "min_similarity"},
      {"/tasks/similar?q=a&source=cloud", "source"},
      {"/tasks/similar?q=%FF", "q"},
      {"/tasks/similar?q=" + std::string(9000, 'a'), "q"},
  };
  for (const auto& [target, field] : bad_queries) {
    SCOPED_TRACE(target.substr(0, 80));
    expect_error(server.get(target), 400, "invalid_argument", field);
  }
  for (const char* op : {"recommend", "agent_profile", "set_mode", "train", "rollback", "anomalies",
                         "agents_performance", "similar_tasks"}) {
    EXPECT_EQ(fake.count(op), 0u) << op << " was asked with bad input";
  }
}

// --- the exception boundary ---

TEST_F(ApiRoutes, AnExceptionOnTheIoThreadIsALogged500) {
  fake.throw_in = "health";
  expect_internal_error(server.get("/health"), "/health", "health");
  fake.throw_in = "record";  // record is asked on the I/O thread
  expect_internal_error(server.post("/agent/performance", kRecord), "/agent/performance", "record");
  fake.throw_in = "mode";
  ClientResponse res = server.get("/learning/mode");
  EXPECT_EQ(res.status, 500);
  fake.throw_in = "train";
  expect_internal_error(server.post("/learning/train", "{}"), "/learning/train", "train");
}

TEST_F(ApiRoutes, AnExceptionOnTheComputePoolIsALogged500) {
  fake.throw_in = "recommend";
  expect_internal_error(server.post("/task/recommend", R"({"task_description":"x"})"), "/task/recommend", "recommend");
  fake.throw_in = "agent_profile";
  expect_internal_error(server.get("/agent/a/recommendations"), "/agent/{agent_id}/recommendations", "agent_profile");
  fake.throw_in = "similar_tasks";
  expect_internal_error(server.get("/tasks/similar?q=x"), "/tasks/similar", "similar_tasks");
}

TEST_F(ApiRoutes, AnExceptionOnTheBlockingPoolIsALogged500) {
  fake.throw_in = "agents_performance";
  expect_internal_error(server.get("/agents/performance"), "/agents/performance", "agents_performance");
  fake.throw_in = "models_status";
  expect_internal_error(server.get("/models/status"), "/models/status", "models_status");
  fake.throw_in = "anomalies";
  expect_internal_error(server.get("/anomalies"), "/anomalies", "anomalies");
  fake.throw_in = "set_mode";
  expect_internal_error(server.post("/learning/mode", R"({"mode":"rules"})"), "/learning/mode", "set_mode");
  fake.throw_in = "rollback";
  expect_internal_error(server.post("/models/rollback", R"({"version":"v1"})"), "/models/rollback", "rollback");
}

TEST_F(ApiRoutes, AnExceptionThatIsNotAStdExceptionIsCaughtToo) {
  fake.throw_in = "agents_performance";
  fake.throw_non_std = true;
  ClientResponse res = server.get("/agents/performance");
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(json_of(res)["error"]["message"], "internal error");
  EXPECT_EQ(server.log().await_lines_with({res.request_id, "/agents/performance", "not a std::exception"}).size(), 1u);
  fake.throw_in.clear();
  EXPECT_EQ(server.get("/agents/performance").status, 200);
}

TEST_F(ApiRoutes, AnExceptionInTheWritersCallbackIsALogged500) {
  // An outcome without results: reading it is a bug (std::out_of_range) in the callback that
  // the writer's thread runs; it must not escape into that thread.
  fake.record_outcome = WriteOutcome{};
  ClientResponse res = server.post("/agent/performance", kRecord);
  EXPECT_EQ(res.status, 500) << res.body;
  EXPECT_EQ(json_of(res)["error"]["message"], "internal error");
  EXPECT_EQ(server.log().await_lines_with({res.request_id, "/agent/performance"}).size(), 1u);
  fake.record_outcome = FakeLearningApi::ok_outcome(1);
  EXPECT_EQ(server.post("/agent/performance", kRecord).status, 201);
}

}  // namespace
}  // namespace agentlearn

namespace agentlearn {
namespace {

class InsightRoutes : public ApiRoutes {};

TEST_F(InsightRoutes, PreviewIsPassedOnAndAnsweredWithoutARecommendationId) {
  RecommendAnswer a;
  a.primary_agent = "coder";
  a.preview = true;
  fake.recommend_answer = a;
  ClientResponse res = server.post("/task/recommend", R"({"task_description":"fix it","preview":true})");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_EQ(j["preview"], true);
  EXPECT_TRUE(j["recommendation_id"].is_null());
  EXPECT_TRUE(fake.calls().recommend.preview);
  server.post("/task/recommend", R"({"task_description":"fix it"})");
  EXPECT_FALSE(fake.calls().recommend.preview);
  const size_t asked = fake.count("recommend");
  for (const char* bad : {R"({"task_description":"x","preview":"yes"})", R"({"task_description":"x","preview":1})",
                          R"({"task_description":"x","preview":[true]})"}) {
    expect_error(server.post("/task/recommend", bad), 400, "invalid_argument", "preview");
  }
  EXPECT_EQ(fake.count("recommend"), asked);  // refused before the service was asked
}

TEST_F(InsightRoutes, AnomaliesCarryWhyAndReasons) {
  StoredRow row;
  row.id = 3;
  row.execution.agent_id = "coder";
  row.execution.execution_time = 4100;
  row.anomaly_score = 0.8;
  row.anomaly = true;
  StoredRow plain = row;
  plain.id = 4;
  fake.anomaly_rows = std::vector<StoredRow>{row, plain};
  AnomalyExplanation x;
  x.why = "execution_time 4.1e+03 is 52x the typical 78 for agent coder.";
  x.reasons.push_back({"execution_time", 4100, 78, 52.6, "agent"});
  fake.anomaly_explanations = {x};  // the second row has none
  ClientResponse res = server.get("/anomalies");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  ASSERT_EQ(j["anomalies"].size(), 2u);
  EXPECT_EQ(j["anomalies"][0]["why"], x.why);
  ASSERT_EQ(j["anomalies"][0]["reasons"].size(), 1u);
  EXPECT_EQ(j["anomalies"][0]["reasons"][0]["feature"], "execution_time");
  EXPECT_EQ(j["anomalies"][0]["reasons"][0]["typical"], 78);
  EXPECT_EQ(j["anomalies"][0]["reasons"][0]["baseline"], "agent");
  EXPECT_TRUE(j["anomalies"][1]["why"].is_null());
  EXPECT_TRUE(j["anomalies"][1]["reasons"].empty());
}

TEST_F(InsightRoutes, ModelsStatusShowsRoutingOnlineAndFeatureImportanceFromTheStoredSummary) {
  ModelsStatus s;
  ModelSetRecord set;
  set.version = "v1.1.0_x";
  set.summary_json = R"({"routing":{"tasks":108,"routed":0.7,"best_single":0.71,"best_single_agent":"a",)"
                     R"("rules":0.7,"oracle":0.88,"random":0.51},)"
                     R"("models":{"agent_selector":{"version":"s","below_target":true,"target_metric":"roc_auc",)"
                     R"("feature_importance":[{"feature":"agent.success_rate","gain":12.5}]}}})";
  ModelSetRecord old;
  old.version = "v1.0.0_x";
  old.summary_json = R"({"models":{}})";  // stored before routing figures were
  s.sets = {set, old};
  auto active = std::make_shared<ActiveModels>();
  active->version = set.version;
  active->summary_json = set.summary_json;
  s.active = active;
  OnlineFigures o;
  o.model_set = set.version;
  o.logged = 10;
  o.followed = 4;
  o.follow_rate = 0.4;
  o.ips = 0.5;
  o.snips = 0.6;
  o.logged_success_rate = 0.5;
  s.online = o;
  s.online_max_age_seconds = 30;
  fake.models = s;
  ClientResponse res = server.get("/models/status");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_EQ(j["model_sets"][0]["routing"]["tasks"], 108);
  EXPECT_EQ(j["model_sets"][0]["routing"]["oracle"], 0.88);
  EXPECT_TRUE(j["model_sets"][1]["routing"].is_null());
  EXPECT_EQ(j["online"]["logged"], 10);
  EXPECT_EQ(j["online"]["followed"], 4);
  EXPECT_EQ(j["online"]["follow_rate"], 0.4);
  EXPECT_EQ(j["online"]["ips_success_rate"], 0.5);
  EXPECT_EQ(j["online"]["snips_success_rate"], 0.6);
  EXPECT_EQ(j["online"]["model_set"], set.version);
  const json& selector = j["models"][0];
  ASSERT_EQ(selector["name"], "agent_selector");
  EXPECT_EQ(selector["feature_importance"][0]["feature"], "agent.success_rate");
  EXPECT_EQ(selector["below_target"], true);
  EXPECT_EQ(selector["target_metric"], "roc_auc");
  EXPECT_TRUE(j["models"][1]["feature_importance"].is_null());  // no predictor in that set
  EXPECT_FALSE(j["models"][2].contains("feature_importance"));  // the classifier has none
}

}  // namespace
}  // namespace agentlearn
