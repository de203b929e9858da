// `agentlearn recommend`, `train` and `status` as a user runs them: the real binary as a
// subprocess, on a SQLite store in the command's own process (--db, --config) and through a
// real `agentlearn serve`, on the first 2,000 SWE-bench runs.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.hpp"
#include "eventually.hpp"
#include "http/client.hpp"
#include "server_process.hpp"

namespace agentlearn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CliRun;
using testing::describe;

constexpr size_t kRows = 2000;
const std::string kTask = "Fix the crash in the CSV export when a field is empty";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class CliLearning : public testing::SwebenchCliTest {
 protected:
  void SetUp() override {
    SwebenchCliTest::SetUp();
    if (HasFatalFailure()) return;
    std::ifstream in(testing::swebench_executions());
    std::ofstream out(dir_ / "runs.jsonl");
    std::string line;
    size_t n = 0;
    while (n < kRows && std::getline(in, line)) {
      out << line << '\n';
      ++n;
    }
    ASSERT_EQ(n, kRows);
    data_ = (dir_ / "runs.jsonl").string();
  }

  // Imports the rows through `where` ({"--db", URL} or {"--url", URL}).
  void import_rows(const std::vector<std::string>& where) {
    std::vector<std::string> args = {"import", "--json"};
    args.insert(args.end(), where.begin(), where.end());
    args.push_back(data_);
    CliRun r = run(args);
    ASSERT_EQ(r.code, 0) << describe(r);
    ASSERT_EQ(parse_json(r)["imported"], kRows) << describe(r);
  }

  std::string data_;
};

// Checks a finished training job as `train --json` prints it: a set stored and promoted, with
// every model's held-out figures.
void expect_promoted_job(const json& job, const CliRun& r) {
  EXPECT_EQ(job["status"], "succeeded") << describe(r);
  EXPECT_EQ(job["promoted"], true) << describe(r);
  ASSERT_TRUE(job["version"].is_string()) << describe(r);
  EXPECT_EQ(job["version"].get<std::string>().rfind("v1.", 0), 0u) << describe(r);
  for (const char* model : {"agent_selector", "performance_predictor", "task_classifier", "anomaly_detector",
                            "embedding_generator"}) {
    ASSERT_TRUE(job["models"].contains(model)) << model << "\n" << describe(r);
    EXPECT_TRUE(job["models"][model]["metrics"].is_object()) << model;
    EXPECT_GT(job["models"][model]["training_samples"].get<int64_t>(), 0) << model;
  }
  EXPECT_TRUE(job["models"]["agent_selector"]["metrics"]["roc_auc"].is_number()) << describe(r);
  EXPECT_TRUE(job["models"]["agent_selector"]["metrics"]["log_loss"].is_number()) << describe(r);
}

TEST_F(CliLearning, StoreModeRulesThenTrainThenModels) {
  const std::string store = db("store.db");
  import_rows({"--db", store});

  CliRun before = run({"status", "--db", store, "--json"});
  ASSERT_EQ(before.code, 0) << describe(before);
  json s0 = parse_json(before);
  EXPECT_TRUE(s0["active_model_set"].is_null()) << before.out;
  EXPECT_TRUE(s0["model_sets"].empty()) << before.out;
  EXPECT_EQ(s0["models"].size(), 5u);
  EXPECT_EQ(s0["training"]["executions"], kRows);
  EXPECT_EQ(s0["training"]["retrain_threshold"], 100);

  CliRun rules = run({"recommend", "--db", store, "--json", kTask});
  ASSERT_EQ(rules.code, 0) << describe(rules);
  json r0 = parse_json(rules);
  EXPECT_EQ(r0["fallback"], true) << rules.out;
  EXPECT_TRUE(r0["model_version"].is_null()) << rules.out;
  EXPECT_FALSE(r0["primary_agent"].get<std::string>().empty());
  EXPECT_EQ(r0["alternative_agents"].size(), 2u) << rules.out;  // top_k 3
  EXPECT_EQ(r0["candidates"].size(), 4u) << rules.out;          // the four agents of these rows
  EXPECT_TRUE(contains(r0["reasoning"], "no model set is active")) << rules.out;

  CliRun text = run({"recommend", "--db", store, "--task-description", kTask, "--top-k", "2"});
  ASSERT_EQ(text.code, 0) << describe(text);
  EXPECT_TRUE(contains(text.out, "primary agent:")) << text.out;
  EXPECT_TRUE(contains(text.out, "answered by:     the rules")) << text.out;
  EXPECT_TRUE(contains(text.out, "P(success)")) << text.out;
  EXPECT_TRUE(contains(text.out, "reasoning:")) << text.out;

  auto start = std::chrono::steady_clock::now();
  CliRun trained = run({"train", "--db", store, "--json"});
  std::cout << "[ timing ] train --db on " << kRows << " rows: "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s\n";
  ASSERT_EQ(trained.code, 0) << describe(trained);
  json job = parse_json(trained);
  expect_promoted_job(job, trained);
  EXPECT_EQ(job["trigger"], "cli");
  const std::string version = job["version"];

  CliRun after = run({"status", "--db", store, "--json"});
  ASSERT_EQ(after.code, 0) << describe(after);
  json s1 = parse_json(after);
  EXPECT_EQ(s1["active_model_set"], version) << after.out;
  ASSERT_EQ(s1["model_sets"].size(), 1u) << after.out;
  EXPECT_EQ(s1["model_sets"][0]["status"], "active");
  for (const json& m : s1["models"]) {
    EXPECT_TRUE(m["active_version"].is_string()) << m.dump();
    EXPECT_EQ(m["model_set"], version) << m.dump();
  }
  EXPECT_EQ(s1["training"]["new_samples_since_last_training"], 0) << after.out;

  CliRun table = run({"status", "--db", store});
  ASSERT_EQ(table.code, 0) << describe(table);
  EXPECT_TRUE(contains(table.out, "active model set: " + version)) << table.out;
  EXPECT_TRUE(contains(table.out, "agent_selector")) << table.out;
  EXPECT_TRUE(contains(table.out, "roc_auc")) << table.out;
  EXPECT_TRUE(contains(table.out, "retrain_threshold")) << table.out;

  CliRun modeled = run({"recommend", "--db", store, "--json", kTask, "--objective", R"({"cost_weight":0.3})"});
  ASSERT_EQ(modeled.code, 0) << describe(modeled);
  json r1 = parse_json(modeled);
  EXPECT_EQ(r1["model_version"], version) << modeled.out;
  EXPECT_EQ(r1["fallback"], false) << modeled.out;
  EXPECT_TRUE(r1["candidates"][0]["predicted_execution_time"].is_number()) << modeled.out;
  // A given task type is printed as given, not replaced by the classifier's guess.
  CliRun typed = run({"recommend", "--db", store, kTask, "--task-type", "astropy/astropy"});
  ASSERT_EQ(typed.code, 0) << describe(typed);
  EXPECT_TRUE(contains(typed.out, "task type:       astropy/astropy (given)")) << typed.out;
  EXPECT_FALSE(contains(typed.out, "task category:")) << typed.out;
  CliRun untyped = run({"recommend", "--db", store, kTask});
  EXPECT_TRUE(contains(untyped.out, "task category:")) << untyped.out;

  // A second run is judged against the first: stored, promoted or rejected, and said so.
  CliRun again = run({"train", "--db", store});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_TRUE(contains(again.out, "stored and promoted") || contains(again.out, "stored but rejected")) << again.out;
  // Judged by the held-out success of the policies the two sets serve, paired over the tasks.
  EXPECT_TRUE(contains(again.out, "the active set " + version + "'s")) << again.out;
  EXPECT_TRUE(contains(again.out, "paired standard errors")) << again.out;
  EXPECT_TRUE(contains(again.out, "held-out evaluation")) << again.out;
  EXPECT_TRUE(contains(again.out, "performance_predictor")) << again.out;
}

TEST_F(CliLearning, ConfigGivesTheStoreAndTheLearningParameters) {
  import_rows({"--db", db("cfg.db")});
  fs::path strict = dir_ / "strict.yaml";
  testing::write_file(strict, "database: " + db("cfg.db") + "\nmin_training_executions: 100000\n");
  CliRun refused = run({"train", "--config", strict.string()});
  EXPECT_EQ(refused.code, 1) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "not enough data")) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "100000 needed")) << describe(refused);

  fs::path small = dir_ / "small.yaml";
  testing::write_file(small, "database: " + db("cfg.db") +
                                 "\nmodels:\n  agent_selector:\n    parameters:\n      n_estimators: 10\n");
  CliRun trained = run({"train", "--config", small.string(), "--json"});
  ASSERT_EQ(trained.code, 0) << describe(trained);
  json job = parse_json(trained);
  expect_promoted_job(job, trained);
  EXPECT_EQ(job["models"]["agent_selector"]["parameters"]["n_estimators"], "10") << trained.out;
}

TEST_F(CliLearning, ServerModeTrainStatusRecommend) {
  const std::string store = db("served.db");
  testing::ServerProcess server(store);
  ASSERT_TRUE(server.wait_ready()) << server.log();
  import_rows({"--url", server.url()});

  CliRun trained = run({"train", "--url", server.url(), "--json"});
  ASSERT_EQ(trained.code, 0) << describe(trained) << server.log();
  json job = parse_json(trained);
  expect_promoted_job(job, trained);
  EXPECT_EQ(job["trigger"], "api");
  const std::string version = job["version"];

  // --json prints what GET /models/status answers.
  CliRun status = run({"status", "--url", server.url(), "--json"});
  ASSERT_EQ(status.code, 0) << describe(status);
  json from_cli = parse_json(status);
  HttpClient client(server.url());
  auto direct = client.request(boost::beast::http::verb::get, "/models/status");
  ASSERT_TRUE(direct.ok() && direct->status == 200);
  json from_server = json::parse(direct->body);
  EXPECT_EQ(from_cli, from_server);
  EXPECT_EQ(from_cli["active_model_set"], version);
  EXPECT_EQ(from_cli["training"]["last_run"]["version"], version);
  EXPECT_EQ(from_cli["training"]["running"], false);

  // Store mode on the server's store sees the same sets and figures.
  CliRun local = run({"status", "--db", store, "--json"});
  ASSERT_EQ(local.code, 0) << describe(local);
  json from_store = parse_json(local);
  EXPECT_EQ(from_store["active_model_set"], from_server["active_model_set"]);
  EXPECT_EQ(from_store["models"], from_server["models"]);
  EXPECT_EQ(from_store["model_sets"], from_server["model_sets"]);

  CliRun readable = run({"status", "--url", server.url()});
  ASSERT_EQ(readable.code, 0) << describe(readable);
  EXPECT_TRUE(contains(readable.out, "last run:   job " + job["job_id"].get<std::string>())) << readable.out;

  CliRun rec = run({"recommend", "--url", server.url(), "--json", kTask, "--candidates",
                    "claude-opus-4-5-20251101,sonnet-4-5-20250929", "--top-k", "2"});
  ASSERT_EQ(rec.code, 0) << describe(rec);
  json answer = parse_json(rec);
  EXPECT_EQ(answer["model_version"], version) << rec.out;
  EXPECT_EQ(answer["candidates"].size(), 2u) << rec.out;
  EXPECT_EQ(answer["alternative_agents"].size(), 1u) << rec.out;
  EXPECT_TRUE(answer["recommendation_id"].get<std::string>().rfind("rec_", 0) == 0) << rec.out;

  CliRun rec_text = run({"recommend", "--url", server.url(), kTask});
  ASSERT_EQ(rec_text.code, 0) << describe(rec_text);
  EXPECT_TRUE(contains(rec_text.out, "answered by:     model set " + version)) << rec_text.out;

  // One run at a time: a second request while the first is queued or running is a 409.
  CliRun queued = run({"train", "--url", server.url(), "--no-wait"});
  ASSERT_EQ(queued.code, 0) << describe(queued);
  EXPECT_TRUE(contains(queued.out, "training run train-")) << queued.out;
  CliRun busy = run({"train", "--url", server.url()});
  EXPECT_EQ(busy.code, 1) << describe(busy);
  EXPECT_TRUE(contains(busy.err, "already")) << describe(busy);
  EXPECT_TRUE(contains(busy.err, "HTTP 409")) << describe(busy);

  // The readable report of a waited-for run, once the queued run has ended (the event: it is
  // the status's last run).
  std::smatch queued_id;
  ASSERT_TRUE(std::regex_search(queued.out, queued_id, std::regex("train-[0-9]+-[0-9]+"))) << queued.out;
  json last;
  EXPECT_TRUE(testing::eventually([&] {
    auto s = client.request(boost::beast::http::verb::get, "/models/status");
    if (!s.ok() || s->status != 200) return false;
    last = json::parse(s->body)["training"];
    return last["last_run"].is_object() && last["last_run"].value("job_id", "") == queued_id.str();
  })) << "the queued run did not end; last: " << last.dump();
  CliRun waited = run({"train", "--url", server.url()});
  ASSERT_EQ(waited.code, 0) << describe(waited);
  EXPECT_TRUE(contains(waited.out, "model set v1.")) << waited.out;
  EXPECT_TRUE(contains(waited.out, "held-out evaluation")) << waited.out;
}

TEST_F(CliLearning, BadInputAndFailuresExitCodes) {
  const std::string empty = db("empty.db");
  CliRun no_agents = run({"recommend", "--db", empty, kTask});
  EXPECT_EQ(no_agents.code, 1) << describe(no_agents);
  EXPECT_TRUE(contains(no_agents.err, "no agents are known yet")) << describe(no_agents);

  CliRun no_data = run({"train", "--db", empty});
  EXPECT_EQ(no_data.code, 1) << describe(no_data);
  EXPECT_TRUE(contains(no_data.err, "training failed: not enough data")) << describe(no_data);

  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"recommend", ""}, "task_description must not be empty"},
      {{"recommend"}, "task_description"},
      {{"recommend", kTask, "--context", "{not json"}, "--context is not valid JSON"},
      {{"recommend", kTask, "--context", "[1,2]"}, "context must be a JSON object"},
      {{"recommend", kTask, "--objective", "cheap"}, "--objective is not valid JSON"},
      {{"recommend", kTask, "--objective", R"({"cost":1})"}, "objective.cost"},
      {{"recommend", kTask, "--objective", R"({"cost_weight":-1})"}, "objective.cost_weight"},
      {{"recommend", kTask, "--top-k", "0"}, "top_k must be an integer"},
      {{"recommend", kTask, "--top-k", "many"}, "--top-k"},
      {{"recommend", kTask, "--task-description", "another text"}, "once"},
      {{"train", "--no-wait"}, "--no-wait needs a server"},
      {{"status", "--bogus"}, "--bogus"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.insert(args.begin() + 1, {"--db", empty});
    CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << ::testing::PrintToString(args) << "\n" << describe(r);
    EXPECT_TRUE(contains(r.err, c.message)) << ::testing::PrintToString(args) << "\n" << describe(r);
  }

  // A word that names no command is named back, with the commands listed.
  CliRun unknown = run({"frobnicate", "--db", empty});
  EXPECT_EQ(unknown.code, 2) << describe(unknown);
  EXPECT_TRUE(contains(unknown.err, "unknown command 'frobnicate'")) << describe(unknown);
  EXPECT_TRUE(contains(unknown.err, "serve, record, import, recommend")) << describe(unknown);

  // Bad input is refused before any server is asked: exit 2, not 1, with nobody listening.
  const std::string nobody = "http://127.0.0.1:" + std::to_string(testing::free_port());
  CliRun bad = run({"recommend", "--url", nobody, kTask, "--objective", R"({"speed":1})"});
  EXPECT_EQ(bad.code, 2) << describe(bad);
  EXPECT_TRUE(contains(bad.err, "objective.speed")) << describe(bad);
  for (std::string command : {"recommend", "train", "status"}) {
    std::vector<std::string> args = {command, "--url", nobody};
    if (command == "recommend") args.push_back(kTask);
    CliRun down = run(args);
    EXPECT_EQ(down.code, 1) << command << "\n" << describe(down);
    EXPECT_TRUE(contains(down.err, "cannot reach " + nobody)) << command << "\n" << describe(down);
  }

  for (std::string command : {"recommend", "train", "status"}) {
    CliRun help = run({command, "--help"});
    EXPECT_EQ(help.code, 0) << describe(help);
    EXPECT_TRUE(contains(help.out, "Server mode")) << help.out;
    EXPECT_TRUE(contains(help.out, "Store mode")) << help.out;
    EXPECT_TRUE(contains(help.out, "Exit status")) << help.out;
    EXPECT_TRUE(contains(help.out, "--json")) << help.out;
  }
}

}  // namespace
}  // namespace agentlearn
