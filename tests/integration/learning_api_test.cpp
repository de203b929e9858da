// The learning loop and the recommendation endpoints over real HTTP against the real binary,
// on SQLite and on PostgreSQL: record -> threshold -> retrain -> new version active ->
// recommendation changes; rollback and its history; the modes; training on demand; anomaly
// scores at ingest; the recommendation log joined to the execution that followed; and bad
// input refused with the field named, nothing stored, the server fine.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http/client.hpp"
#include "eventually.hpp"
#include "server_process.hpp"
#include "store/open_store.hpp"

namespace agentlearn {
namespace {

using boost::beast::http::verb;
using json = nlohmann::json;
using testing::ServerProcess;
using Clock = std::chrono::steady_clock;

// Executions of three agents on two kinds of task. In phase 1 "db-expert" is the one for
// database work; in phase 2 it has stopped succeeding there and "generalist" has taken over.
json workload(int phase, int tasks, uint64_t seed, const std::string& prefix) {
  const char* frontend[] = {"button", "layout", "css", "render", "page", "widget", "click", "style"};
  const char* database[] = {"query", "index", "table", "join", "schema", "migration", "row", "transaction"};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  json records = json::array();
  for (int t = 0; t < tasks; ++t) {
    const bool fe = t % 2 == 0;
    std::string text = fe ? "fix the" : "repair the";
    for (int w = 0; w < 10; ++w) text += std::string(" ") + (fe ? frontend : database)[rng() % 8];
    for (std::string agent : {"ui-expert", "db-expert", "generalist"}) {
      double p = 0.5;
      if (agent == "ui-expert") p = fe ? 0.9 : 0.1;
      if (agent == "db-expert") p = fe ? 0.1 : (phase == 1 ? 0.9 : 0.05);
      if (agent == "generalist") p = fe ? 0.5 : (phase == 1 ? 0.4 : 0.95);
      const double time = (agent == "db-expert" ? 100 : 20) * (0.8 + 0.4 * u(rng));
      records.push_back({{"agent_id", agent},
                         {"task_id", prefix + std::to_string(t)},
                         {"task_description", text},
                         {"task_type", fe ? "frontend" : "database"},
                         {"execution_time", time},
                         {"success", u(rng) < p},
                         {"context", {{"area", fe ? "web" : "data"}}},
                         {"metrics", {{"cost_usd", time / 100}}}});
    }
  }
  return records;
}

std::string write_config(const std::string& dir) {
  std::string path = dir + "/learning.yaml";
  std::ofstream(path) << "check_interval: 0.2\n"
                         "model_poll_interval: 0.5\n"
                         "retrain_threshold: 300\n"
                         "min_training_executions: 150\n"
                         "models:\n"
                         "  embedding_generator:\n"
                         "    parameters:\n"
                         "      epochs: 10\n"
                         "      vector_size: 32\n"
                         "  agent_selector:\n"
                         "    parameters:\n"
                         "      n_estimators: 30\n";
  return path;
}

class LearningApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = testing::fresh_store_url(GetParam());
    ASSERT_FALSE(db_.empty());
    dir_ = testing::make_temp_dir("learning-api");
    start();
  }
  void start() {
    server_ = std::make_unique<ServerProcess>(db_, std::vector<std::string>{"--config", write_config(dir_)});
    ASSERT_TRUE(server_->wait_ready()) << server_->log();
    client_ = std::make_unique<HttpClient>(server_->url());
  }

  ClientResponse call(verb method, const std::string& target, const std::string& body = {},
                      const std::string& content_type = "application/json") {
    auto r = client_->request(method, target, body, content_type);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : ClientResponse{};
  }
  json ok_json(verb method, const std::string& target, const json& body = nullptr, int status = 200) {
    auto r = call(method, target, body.is_null() ? std::string() : body.dump());
    EXPECT_EQ(r.status, status) << method << " " << target << ": " << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  void record_batch(const json& records) {
    for (size_t i = 0; i < records.size(); i += 1000) {
      json part = json::array();
      for (size_t j = i; j < std::min(records.size(), i + 1000); ++j) part.push_back(records[j]);
      auto r = call(verb::post, "/agent/performance/batch", json{{"records", part}}.dump());
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }
  json recommend(const std::string& text, const std::string& type = "database") {
    return ok_json(verb::post, "/task/recommend",
                   {{"task_description", text}, {"task_type", type}, {"context", {{"area", "data"}}}});
  }
  // Polls GET /models/status until `pred` holds.
  json wait_status(const std::function<bool(const json&)>& pred) {
    json s;
    if (!testing::eventually([&] { return pred(s = ok_json(verb::get, "/models/status")); },
                             testing::kEventLimit, std::chrono::milliseconds(200))) {
      ADD_FAILURE() << "timed out waiting for the model status; last: " << s.dump() << "\n" << server_->log();
    }
    return s;
  }
  void expect_error(const ClientResponse& r, int status, const std::string& field, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << what << ": " << r.body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty()) << what;
    if (!field.empty()) {
      EXPECT_EQ(j["error"].value("field", ""), field) << what << ": " << r.body;
    }
  }
  int64_t stored_count() {
    return ok_json(verb::get, "/agents/performance").value("total_executions", int64_t{-1});
  }

  std::string db_, dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

const std::string kDbText = "repair the query index join table schema row migration transaction";

TEST_P(LearningApiTest, RulesAnswerUntilModelsExistThenTheLoopRetrainsAndTheRecommendationChanges) {
  // Nothing known yet.
  expect_error(call(verb::post, "/task/recommend", R"({"task_description":"anything"})"), 409, "candidates",
               "no agents known");
  json status = ok_json(verb::get, "/models/status");
  EXPECT_TRUE(status["active_model_set"].is_null());
  EXPECT_EQ(ok_json(verb::get, "/learning/mode")["mode"], "rules");
  // Named candidates can be ranked even before any execution (the rules' priors).
  json named = ok_json(verb::post, "/task/recommend", {{"task_description", "x"}, {"candidates", {"a", "b"}}});
  EXPECT_EQ(named["candidates"].size(), 2u);
  EXPECT_TRUE(named["fallback"].get<bool>());

  // Below min_training_executions: the rules answer, and say why.
  json phase1 = workload(1, 200, 1, "p1-");
  json first_part = json::array();
  for (size_t i = 0; i < 60; ++i) first_part.push_back(phase1[i]);
  record_batch(first_part);
  json early = recommend(kDbText);
  EXPECT_TRUE(early["fallback"].get<bool>()) << early.dump();
  EXPECT_TRUE(early["model_version"].is_null());
  EXPECT_NE(early["reasoning"].get<std::string>().find("no model set is active"), std::string::npos) << early.dump();
  EXPECT_EQ(early["mode"], "rules");

  // Enough data: the trainer trains a first set on its own and activates it.
  json rest = json::array();
  for (size_t i = 60; i < phase1.size(); ++i) rest.push_back(phase1[i]);
  record_batch(rest);
  status = wait_status([](const json& s) { return !s["active_model_set"].is_null(); });
  const std::string v1 = status["active_model_set"];
  EXPECT_EQ(v1.rfind("v1.", 0), 0u) << v1;
  EXPECT_EQ(status["activation_history"].size(), 1u);
  for (const auto& m : status["models"]) {
    EXPECT_FALSE(m["active_version"].is_null()) << m.dump();
    EXPECT_GT(m["training_samples"].get<int64_t>(), 0) << m.dump();
    EXPECT_TRUE(m["metrics"].is_object()) << m.dump();
    EXPECT_TRUE(m["below_target"].is_boolean()) << m.dump();
  }
  EXPECT_EQ(ok_json(verb::get, "/learning/mode")["mode"], "online");
  ok_json(verb::post, "/learning/mode", {{"mode", "exploit"}});
  json before = recommend(kDbText);
  EXPECT_FALSE(before["fallback"].get<bool>()) << before.dump();
  EXPECT_EQ(before["model_version"], v1);
  EXPECT_EQ(before["primary_agent"], "db-expert") << before.dump();
  EXPECT_EQ(before["mode"], "exploit");
  // The answer names the policy the set serves, as /models/status does, and why it serves it.
  const json served = ok_json(verb::get, "/models/status")["routing_policy"];
  ASSERT_TRUE(served.is_object()) << served.dump();
  EXPECT_EQ(served["model_set"], v1);
  EXPECT_EQ(before["policy"], served["served"]) << before.dump();
  EXPECT_EQ(served["selection"]["served"], served["served"]);
  EXPECT_EQ(served["held_out"]["served_policy"], served["served"]);
  EXPECT_NE(before["reasoning"].get<std::string>().find("by the " + served["served"].get<std::string>() + " policy of model set " + v1),
            std::string::npos)
      << before["reasoning"];
  EXPECT_NE(before["reasoning"].get<std::string>().find("chosen on its training tasks out-of-fold"), std::string::npos)
      << before["reasoning"];
  EXPECT_EQ(before["task_category"]["label"], "database");
  for (const auto& c : before["candidates"]) {
    EXPECT_TRUE(c["predicted_execution_time"].is_number()) << c.dump();
    EXPECT_TRUE(c["predicted_cost"].is_number()) << c.dump();
  }

  // The world changes; past retrain_threshold new executions the trainer retrains, the new
  // set is better on the held-out tasks, becomes active, and the answer follows the data.
  record_batch(workload(2, 400, 2, "p2-"));
  status = wait_status([&](const json& s) {
    return !s["active_model_set"].is_null() && s["active_model_set"] != v1 && !s["training"]["running"].get<bool>();
  });
  const std::string v2 = status["active_model_set"];
  EXPECT_NE(v2, v1);
  json after = recommend(kDbText);
  EXPECT_EQ(after["model_version"], v2);
  EXPECT_EQ(after["primary_agent"], "generalist") << after.dump();
  ASSERT_GE(status["activation_history"].size(), 2u);
  EXPECT_NE(status["activation_history"].back()["reason"].get<std::string>().find("promoted"), std::string::npos);

  // Prometheus sees the active models' figures, the training runs and the predictions.
  const std::string metrics = call(verb::get, "/metrics").body;
  for (const char* needle : {"model_accuracy{model_name=\"agent_selector\"}", "model_below_target{model_name=",
                             "model_training_duration_seconds_count", "training_runs_total{result=\"promoted\"}",
                             "learning_predictions_total{agent=\"generalist\",model=\"agent_selector\"}"}) {
    EXPECT_NE(metrics.find(needle), std::string::npos) << needle;
  }

  // Swapping sets under load: every answer comes whole from one of the two sets.
  std::atomic<bool> swapping{true};
  std::atomic<int> answered{0}, wrong{0};
  std::thread load([&] {
    HttpClient client(server_->url());
    const std::string body = json{{"task_description", kDbText}, {"task_type", "database"}}.dump();
    while (swapping.load()) {
      auto r = client.request(verb::post, "/task/recommend", body, "application/json");
      json a = r.ok() ? json::parse(r->body, nullptr, false) : json();
      const bool whole = r.ok() && r->status == 200 && a.is_object() && (a["model_version"] == v1 || a["model_version"] == v2) &&
                         a["candidates"].size() == 3 && !a["fallback"].get<bool>();
      (whole ? answered : wrong)++;
    }
  });
  for (int i = 0; i < 6; ++i) ok_json(verb::post, "/models/rollback", {{"version", i % 2 ? v2 : v1}});
  swapping = false;
  load.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(answered.load(), 0);

  // Rollback: the first set serves again and the history says so.
  json rolled = ok_json(verb::post, "/models/rollback", {{"version", v1}});
  EXPECT_EQ(rolled["active_model_set"], v1);
  EXPECT_EQ(recommend(kDbText)["model_version"], v1);
  status = ok_json(verb::get, "/models/status");
  EXPECT_EQ(status["active_model_set"], v1);
  EXPECT_EQ(status["activation_history"].back()["version"], v1);
  EXPECT_EQ(status["activation_history"].back()["reason"], "rollback");

  // A restart loads the active set and the mode from the store.
  server_->terminate();
  start();
  EXPECT_EQ(ok_json(verb::get, "/models/status")["active_model_set"], v1);
  EXPECT_EQ(ok_json(verb::get, "/learning/mode")["mode"], "exploit");
  json health = ok_json(verb::get, "/health");
  EXPECT_TRUE(health["ml_available"].get<bool>());
  EXPECT_EQ(health["model_set"], v1);
  EXPECT_EQ(health["models_loaded"].size(), 5u);
}

TEST_P(LearningApiTest, TrainOnDemandModesAnomaliesAndTheRecommendationLog) {
  record_batch(workload(1, 150, 3, "t-"));
  // A run on demand; a second request while it is queued or running is a conflict.
  auto queued = call(verb::post, "/learning/train", "");
  if (queued.status == 409) {
    // 150 rows reach min_training_executions: the trainer's own first-data run (its check
    // runs every 0.2 s) may have started first. Wait for it to end, then ask again.
    wait_status([](const json& s) { return !s["active_model_set"].is_null() && !s["training"]["running"].get<bool>(); });
    queued = call(verb::post, "/learning/train", "");
  }
  ASSERT_EQ(queued.status, 202) << queued.body;
  json q = json::parse(queued.body);
  EXPECT_EQ(q["status"], "queued");
  EXPECT_FALSE(q["job_id"].get<std::string>().empty());
  expect_error(call(verb::post, "/model/retrain", "{}"), 409, "", "second run while one is going");
  wait_status([](const json& s) { return !s["active_model_set"].is_null() && !s["training"]["running"].get<bool>(); });
  json waited = ok_json(verb::post, "/model/retrain", {{"wait", true}});
  EXPECT_EQ(waited["status"], "succeeded") << waited.dump();
  // Readiness agrees with itself at once: a loaded set is a stored set.
  json ready = ok_json(verb::get, "/health/ready");
  EXPECT_TRUE(ready["models_loaded"].get<bool>()) << ready.dump();
  EXPECT_TRUE(ready["model_set_stored"].get<bool>()) << ready.dump();
  EXPECT_TRUE(waited["version"].is_string());
  EXPECT_TRUE(waited["promoted"].is_boolean());
  EXPECT_FALSE(waited["reason"].get<std::string>().empty());
  EXPECT_TRUE(waited["models"]["agent_selector"]["metrics"].contains("log_loss")) << waited.dump();
  json status = ok_json(verb::get, "/models/status");
  EXPECT_GE(status["model_sets"].size(), 2u);
  EXPECT_EQ(status["training"]["last_run"]["job_id"], waited["job_id"]);

  // Anomaly scores at ingest, listed by /anomalies and counted per agent.
  auto normal = call(verb::post, "/agent/performance",
                     R"({"agent_id":"ui-expert","task_id":"n-1","execution_time":20,"success":true,"task_type":"frontend",
                         "metrics":{"cost_usd":0.2}})");
  ASSERT_EQ(normal.status, 201) << normal.body;
  json n = json::parse(normal.body);
  EXPECT_TRUE(n["anomaly_score"].is_number()) << normal.body;
  EXPECT_EQ(n["anomaly"], false) << normal.body;
  auto odd = call(verb::post, "/agent/performance",
                  R"({"agent_id":"ui-expert","task_id":"n-2","execution_time":90000,"success":false,"task_type":"frontend",
                      "metrics":{"cost_usd":400}})");
  ASSERT_EQ(odd.status, 201) << odd.body;
  json o = json::parse(odd.body);
  EXPECT_EQ(o["anomaly"], true) << odd.body;
  EXPECT_GT(o["anomaly_score"].get<double>(), n["anomaly_score"].get<double>());
  // A run of an agent the set has no history for is unscored, not anomalous, however odd;
  // so is a known agent on a task type it never ran.
  for (const char* unknown : {R"({"agent_id":"never-seen","task_id":"n-3","execution_time":90000,"success":false,
                                  "task_type":"frontend","metrics":{"cost_usd":400}})",
                              R"({"agent_id":"ui-expert","task_id":"n-4","execution_time":90000,"success":false,
                                  "task_type":"translation","metrics":{"cost_usd":400}})"}) {
    auto r = call(verb::post, "/agent/performance", unknown);
    ASSERT_EQ(r.status, 201) << r.body;
    json u = json::parse(r.body);
    EXPECT_TRUE(u["anomaly"].is_null()) << r.body;
    EXPECT_TRUE(u["anomaly_score"].is_null()) << r.body;
  }
  json anomalies = ok_json(verb::get, "/anomalies?limit=5");
  ASSERT_GE(anomalies["anomalies"].size(), 1u);
  EXPECT_EQ(anomalies["anomalies"][0]["task_id"], "n-2");
  EXPECT_TRUE(anomalies["anomalies"][0]["anomaly_score"].is_number());
  EXPECT_EQ(ok_json(verb::get, "/anomalies?since=2999-01-01T00:00:00Z")["anomalies"].size(), 0u);
  bool counted = false;
  const json performance = ok_json(verb::get, "/agents/performance");
  for (const auto& a : performance["agents"]) {
    if (a["agent_id"] == "ui-expert") counted = a["anomalies"].get<int64_t>() >= 1;
  }
  EXPECT_TRUE(counted);

  // Apprentice: the rules answer, the models' choice is reported beside it.
  ok_json(verb::post, "/learning/mode", {{"mode", "apprentice"}});
  json app = recommend(kDbText);
  EXPECT_EQ(app["mode"], "apprentice");
  EXPECT_EQ(app["primary_agent"], app["rules_choice"]);
  EXPECT_TRUE(app["model_choice"].is_string());
  EXPECT_NE(app["reasoning"].get<std::string>().find("Apprentice"), std::string::npos);
  EXPECT_NE(call(verb::get, "/metrics").body.find("apprentice_decisions_total 1"), std::string::npos);

  // Online with exploration 1: every answer explores among the plausible agents, with its
  // propensity; the execution recorded with a recommendation_id joins its log entry.
  json mode = ok_json(verb::post, "/learning/mode", {{"mode", "online"}, {"exploration_rate", 1.0}});
  EXPECT_EQ(mode["exploration_rate"], 1.0);
  bool explored = false;
  std::string rec_id, chosen;
  double propensity = 0;
  for (int i = 0; i < 30 && !explored; ++i) {
    json a = recommend(kDbText);
    EXPECT_EQ(a["mode"], "online");
    EXPECT_GT(a["propensity"].get<double>(), 0);
    if (a["explored"].get<bool>()) {
      explored = true;
      rec_id = a["recommendation_id"];
      chosen = a["primary_agent"];
      propensity = a["propensity"];
      EXPECT_NE(a["primary_agent"], a["model_choice"]);
      EXPECT_NEAR(propensity, 1.0 / 3, 1e-9);
    }
  }
  ASSERT_TRUE(explored);
  json run = {{"agent_id", chosen}, {"task_id", "followed-1"}, {"execution_time", 10}, {"success", true},
              {"task_type", "database"}, {"recommendation_id", rec_id}};
  ASSERT_EQ(call(verb::post, "/agent/performance", run.dump()).status, 201);
  auto store = open_store(db_);
  ASSERT_TRUE(store.ok());
  // The log is written behind the answer: wait until the row is there.
  bool joined = false;
  EXPECT_TRUE(testing::eventually([&] {
    EXPECT_TRUE((*store)->recommendation_log().scan_logged_outcomes([&](const RecommendationLogRow& log, const StoredRow& row) {
                  if (log.recommendation_id != rec_id) return;
                  joined = true;
                  EXPECT_EQ(log.chosen_agent, chosen);
                  EXPECT_NEAR(log.propensity, propensity, 1e-9);
                  EXPECT_TRUE(log.explored);
                  EXPECT_EQ(log.mode, "online");
                  EXPECT_EQ(row.execution.task_id, "followed-1");
                }).ok());
    return joined;
  })) << "the recommendation was never logged with its outcome";

  // The agent's profile, and whether it should take a task.
  json profile = ok_json(verb::get, "/agent/db-expert/recommendations?task_description=repair%20the%20query%20index&task_type=frontend");
  EXPECT_EQ(profile["agent_id"], "db-expert");
  EXPECT_GT(profile["profile"]["executions"].get<int64_t>(), 0);
  ASSERT_FALSE(profile["profile"]["strengths"].empty());
  EXPECT_EQ(profile["profile"]["strengths"][0]["task_type"], "database");
  EXPECT_EQ(profile["profile"]["weaknesses"][0]["task_type"], "frontend");
  EXPECT_TRUE(profile["should_take"].is_boolean());
  EXPECT_FALSE(profile["reasoning"].get<std::string>().empty());
  expect_error(call(verb::get, "/agent/nobody/recommendations"), 404, "agent_id", "unknown agent");
}

TEST_P(LearningApiTest, BadInputIsRefusedNamingTheFieldAndChangesNothing) {
  record_batch(workload(1, 20, 4, "b-"));
  const int64_t count = stored_count();
  struct Case {
    verb method;
    std::string target, body, field;
    int status;
    std::string content_type = "application/json";
  };
  const std::vector<Case> cases = {
      {verb::post, "/task/recommend", "{not json", "", 400},
      {verb::post, "/task/recommend", "[1,2]", "", 400},
      {verb::post, "/task/recommend", "{}", "task_description", 400},
      {verb::post, "/task/recommend", R"({"task_description":42})", "task_description", 400},
      {verb::post, "/task/recommend", R"({"task_description":""})", "task_description", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","task_type":7})", "task_type", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","context":"area=web"})", "context", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","context":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}})",
       "context", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","candidates":"a,b"})", "candidates", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","candidates":[]})", "candidates", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","candidates":["a",5]})", "candidates[1]", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","top_k":0})", "top_k", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","top_k":1.5})", "top_k", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","objective":{"cost_weight":-1}})",
       "objective.cost_weight", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","objective":{"cost_wieght":1}})",
       "objective.cost_wieght", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","objective":{"max_cost":"cheap"}})",
       "objective.max_cost", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","objective":[]})", "objective", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","objective":{"max_quality_loss":1.5}})",
       "objective.max_quality_loss", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","objective":{"relative_cost_weight":-0.1}})",
       "objective.relative_cost_weight", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x","objective":{"max_quality_loss":true}})",
       "objective.max_quality_loss", 400},
      {verb::post, "/task/recommend", R"({"task_description":"x"})", "Content-Type", 415, "text/plain"},
      {verb::post, "/task/recommend", "{\"task_description\":\"\xff\xfe\"}", "", 400},
      {verb::post, "/learning/mode", R"({"mode":"turbo"})", "mode", 400},
      {verb::post, "/learning/mode", R"({"mode":3})", "mode", 400},
      {verb::post, "/learning/mode", R"({"exploration_rate":-0.1})", "exploration_rate", 400},
      {verb::post, "/learning/mode", R"({"exploration_rate":1.5})", "exploration_rate", 400},
      {verb::post, "/learning/mode", R"({"exploration_rate":"high"})", "exploration_rate", 400},
      {verb::post, "/learning/mode", "{}", "mode", 400},
      {verb::post, "/learning/train", R"({"wait":"yes"})", "wait", 400},
      {verb::post, "/learning/train", "[]", "", 400},
      {verb::post, "/models/rollback", R"({"version":"v9.9.9_20000101T000000Z"})", "version", 404},
      {verb::post, "/models/rollback", R"({})", "version", 400},
      {verb::post, "/models/rollback", R"({"version":17})", "version", 400},
      {verb::get, "/anomalies?limit=0", "", "limit", 400},
      {verb::get, "/anomalies?limit=abc", "", "limit", 400},
      {verb::get, "/anomalies?since=yesterday", "", "since", 400},
      {verb::get, "/agent/db-expert/recommendations?task_type=database", "", "task_description", 400},
      {verb::get, "/agent/db-expert/recommendations?task_description=x&top_k=0", "", "top_k", 400},
  };
  for (const auto& c : cases) {
    auto r = call(c.method, c.target, c.body, c.content_type);
    expect_error(r, c.status, c.field, c.target + " " + c.body);
  }
  // A huge candidate list is refused too; nothing above stored anything or changed the mode.
  json many = json::array();
  for (int i = 0; i < 1001; ++i) many.push_back("agent-" + std::to_string(i));
  expect_error(call(verb::post, "/task/recommend", json{{"task_description", "x"}, {"candidates", many}}.dump()), 400,
               "candidates", "1001 candidates");
  EXPECT_EQ(stored_count(), count);
  json mode = ok_json(verb::get, "/learning/mode");
  EXPECT_TRUE(mode["configured_mode"].is_null());
  EXPECT_EQ(mode["exploration_rate"], 0.05);
  EXPECT_TRUE(ok_json(verb::get, "/models/status")["model_sets"].empty());
  EXPECT_EQ(ok_json(verb::get, "/health")["status"], "healthy");
}

INSTANTIATE_TEST_SUITE_P(Backends, LearningApiTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace agentlearn
