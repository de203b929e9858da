// The metrics as Prometheus itself sees them: a real Prometheus (/usr/bin/prometheus, Debian's
// package) runs deploy/prometheus.yml, rewritten only for the target addresses and file paths,
// against the real server holding real executions (../shared/data). The test waits for the
// first scrape (the target's health turning "up"), then asks Prometheus' HTTP API for what the
// test itself did: the recommendations it made, the requests it sent. Prometheus also loads
// deploy/alerts.yml and lists every rule. promtool (same package) lints the server's output.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "server_process.hpp"

namespace agentlearn {
namespace {

using boost::beast::http::verb;
using nlohmann::json;
using testing::eventually;
using testing::ServerProcess;

constexpr const char* kReadToken = "prom-read-token";
constexpr const char* kIngestToken = "prom-ingest-token";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// deploy/prometheus.yml with the compose names and paths swapped for this machine's; with
// `public_metrics`, the learning-system job's authorization block is left out.
std::string rewritten_config(uint16_t server_port, const std::string& token_file, bool public_metrics) {
  std::string text = read_text(std::string(AGENTLEARN_SOURCE_DIR) + "/deploy/prometheus.yml");
  EXPECT_NE(text.find("learning-system:8080"), std::string::npos);
  EXPECT_NE(text.find("/run/secrets/prometheus_token"), std::string::npos);
  EXPECT_NE(text.find("  - alerts.yml\n"), std::string::npos);
  replace_all(text, "learning-system:8080", fmt::format("127.0.0.1:{}", server_port));
  replace_all(text, "/run/secrets/prometheus_token", token_file);
  replace_all(text, "  - alerts.yml\n", "  - " + std::string(AGENTLEARN_SOURCE_DIR) + "/deploy/alerts.yml\n");
  if (public_metrics) {
    std::istringstream in(text);
    std::string line, out;
    bool in_auth = false;
    while (std::getline(in, line)) {
      if (line.find("authorization:") != std::string::npos) {
        in_auth = true;
        continue;
      }
      if (in_auth && (line.find("type: Bearer") != std::string::npos || line.find("credentials_file:") != std::string::npos)) {
        continue;
      }
      in_auth = false;
      out += line + "\n";
    }
    EXPECT_EQ(out.find("authorization"), std::string::npos);
    text = out;
  }
  return text;
}

// /usr/bin/prometheus on a free loopback port, killed at the end.
class PrometheusProcess {
 public:
  PrometheusProcess(const std::string& dir, const std::string& config_text) : port_(testing::free_port()) {
    const std::string config = dir + "/prometheus.yml";
    write_text(config, config_text);
    log_ = dir + "/prometheus.log";
    std::vector<std::string> args = {"/usr/bin/prometheus",
                                     "--config.file=" + config,
                                     "--storage.tsdb.path=" + dir + "/tsdb",
                                     fmt::format("--web.listen-address=127.0.0.1:{}", port_)};
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~PrometheusProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  // GET on Prometheus' API; null on no answer.
  json api(const std::string& target) {
    HttpClient client(fmt::format("http://127.0.0.1:{}", port_));
    auto res = client.request(verb::get, target);
    if (!res.ok() || res->status != 200) return nullptr;
    return json::parse(res->body, nullptr, false);
  }
  // The one value of an instant query, or NaN when the result is not exactly one sample.
  double scalar(const std::string& promql) {
    json j = api("/api/v1/query?query=" + url_encode(promql));
    if (!j.is_object() || j["status"] != "success" || j["data"]["result"].size() != 1) return std::nan("");
    return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
  }
  std::string log() const { return read_text(log_); }

 private:
  pid_t pid_ = -1;
  uint16_t port_;
  std::string log_;
};

// The alert names deploy/alerts.yml defines: the oracle for what Prometheus must list.
std::set<std::string> alert_names_in_file() {
  YAML::Node root = YAML::LoadFile(std::string(AGENTLEARN_SOURCE_DIR) + "/deploy/alerts.yml");
  std::set<std::string> names;
  for (const auto& group : root["groups"]) {
    for (const auto& rule : group["rules"]) names.insert(rule["alert"].as<std::string>());
  }
  return names;
}

// `n` real executions from the shared SWE-bench data, as one NDJSON batch.
// `n` real runs spread over the whole file (it is grouped by agent: the first 1,000 lines hold
// two agents), so that every agent of the data is among them.
std::string shared_executions(size_t n) {
  std::ifstream in(std::string(AGENTLEARN_SHARED_DATA) + "/swebench-verified/executions.jsonl");
  EXPECT_TRUE(in.good()) << "../shared/data is missing";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  const size_t step = std::max<size_t>(1, lines.size() / n);
  std::string out;
  for (size_t i = 0, taken = 0; i < lines.size() && taken < n; i += step, ++taken) out += lines[i] + "\n";
  return out;
}

class PrometheusScrape : public ::testing::TestWithParam<bool> {};

TEST_P(PrometheusScrape, ScrapesTheServerAndLoadsTheAlerts) {
  const bool public_metrics = GetParam();
  const std::string dir = testing::make_temp_dir("agentlearn-prometheus");
  const std::string config = dir + "/learning.yaml";
  // No training here (the rules answer); a cap of 10 agents in the metrics, 24 in the data.
  write_text(config, "train: false\nsimilar_tasks: false\nmetrics_max_agents: 10\n");
  std::vector<std::string> args = {"--config", config, "--auth-token", std::string(kReadToken) + ":read",
                                   "--auth-token", std::string(kIngestToken) + ":ingest"};
  if (public_metrics) args.push_back("--public-metrics");
  ServerProcess server("sqlite:" + dir + "/agentlearn.db", args);
  ASSERT_TRUE(server.wait_ready()) << server.log();

  HttpClient client(server.url());
  // 1,000 real runs of the 24 agents of the data.
  const std::string runs = shared_executions(1000);
  auto recorded = client.request(verb::post, "/agent/performance/batch", runs, "application/x-ndjson", kIngestToken);
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->status, 201) << recorded->body;
  // One recommendation per recorded agent, each given that agent as its only candidate, so
  // that 24 agents are recommended and the cap of 10 has something to cap.
  std::set<std::string> agents_in_data;
  {
    std::istringstream lines(runs);
    std::string line;
    while (std::getline(lines, line)) agents_in_data.insert(json::parse(line)["agent_id"].get<std::string>());
  }
  ASSERT_EQ(agents_in_data.size(), 24u);
  const int kRecommendations = static_cast<int>(agents_in_data.size());
  for (const auto& agent : agents_in_data) {
    json body = {{"task_description", "Fix the separability matrix of nested compound models"},
                 {"candidates", {agent}}};
    auto res = client.request(verb::post, "/task/recommend", body.dump(), "application/json", kReadToken);
    ASSERT_TRUE(res.ok());
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(json::parse(res->body)["primary_agent"], agent);
  }
  // Without a token /metrics is refused, unless it is public.
  auto anonymous = client.request(verb::get, "/metrics");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->status, public_metrics ? 200 : 401);

  const std::string token_file = dir + "/prometheus_token";
  write_text(token_file, std::string(kReadToken) + "\n");
  PrometheusProcess prometheus(dir, rewritten_config(server.port(), token_file, public_metrics));

  // The first scrape: the learning-system target turns "up".
  std::string last_error;
  ASSERT_TRUE(eventually(
      [&] {
        json t = prometheus.api("/api/v1/targets");
        if (!t.is_object()) return false;
        for (const auto& target : t["data"]["activeTargets"]) {
          if (target["labels"]["job"] != "learning-system") continue;
          last_error = target.value("lastError", "");
          if (target["health"] == "up") return true;
        }
        return false;
      },
      std::chrono::seconds(120), std::chrono::milliseconds(250)))
      << "last scrape error: " << last_error << "\n" << prometheus.log();

  // The target's health turns "up" a moment before the scrape's samples can be queried: wait
  // for the scrape's own `up` sample too.
  ASSERT_TRUE(eventually([&] { return prometheus.scalar(R"(up{job="learning-system"})") == 1; },
                         std::chrono::seconds(60), std::chrono::milliseconds(100)));
  // What the test did, as Prometheus stored it.
  EXPECT_EQ(prometheus.scalar("sum(learning_predictions_total)"), kRecommendations);
  EXPECT_EQ(prometheus.scalar(R"(sum(http_requests_total{route="/task/recommend",status="200"}))"), kRecommendations);
  EXPECT_EQ(prometheus.scalar(R"(sum(http_request_duration_seconds_count{route="/task/recommend"}))"),
            kRecommendations);
  EXPECT_EQ(prometheus.scalar(R"(sum(http_request_duration_seconds_bucket{route="/task/recommend",le="+Inf"}))"),
            kRecommendations);
  EXPECT_EQ(prometheus.scalar("executions_recorded_total"), 1000);
  EXPECT_EQ(prometheus.scalar("store_up"), 1);
  EXPECT_GT(prometheus.scalar("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(prometheus.scalar("process_start_time_seconds"), 1.6e9);
  // 24 agents recommended: 10 by name, the other 14 counted as "other".
  json agents = prometheus.api("/api/v1/label/agent/values");
  ASSERT_TRUE(agents.is_object());
  EXPECT_EQ(agents["data"].size(), 11u) << agents.dump();
  EXPECT_NE(std::find(agents["data"].begin(), agents["data"].end(), "other"), agents["data"].end()) << agents.dump();
  EXPECT_EQ(prometheus.scalar(R"(sum(learning_predictions_total{agent="other"}))"), kRecommendations - 10);

  // Prometheus loaded every rule of deploy/alerts.yml.
  json rules = prometheus.api("/api/v1/rules");
  ASSERT_TRUE(rules.is_object());
  std::set<std::string> loaded;
  for (const auto& group : rules["data"]["groups"]) {
    for (const auto& rule : group["rules"]) {
      if (rule["type"] == "alerting") loaded.insert(rule["name"].get<std::string>());
    }
  }
  EXPECT_EQ(loaded, alert_names_in_file());
  EXPECT_GE(loaded.size(), 9u);
}

INSTANTIATE_TEST_SUITE_P(Token, PrometheusScrape, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "PublicMetrics" : "ReadTokenFromFile"; });

// promtool check metrics (Prometheus' own linter) on what the running server exposes.
TEST(PromtoolCheckMetrics, TheServersOutputPassesTheLinter) {
  const std::string dir = testing::make_temp_dir("agentlearn-promtool");
  ServerProcess server("sqlite:" + dir + "/agentlearn.db", {"--config", [&] {
                         write_text(dir + "/learning.yaml", "train: false\nsimilar_tasks: false\n");
                         return dir + "/learning.yaml";
                       }()});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  HttpClient client(server.url());
  // Some of everything: records, a refusal, a recommendation, a 404.
  ASSERT_EQ(client.request(verb::post, "/agent/performance/batch", shared_executions(200), "application/x-ndjson")->status,
            201);
  ASSERT_EQ(client.request(verb::post, "/agent/performance", "{}")->status, 400);
  ASSERT_EQ(client.request(verb::post, "/task/recommend", R"({"task_description":"fix a bug"})")->status, 200);
  ASSERT_EQ(client.request(verb::get, "/nowhere")->status, 404);
  auto metrics = client.request(verb::get, "/metrics");
  ASSERT_TRUE(metrics.ok());
  ASSERT_EQ(metrics->status, 200);
  write_text(dir + "/metrics.txt", metrics->body);

  const std::string cmd = fmt::format("promtool check metrics < '{}/metrics.txt' > '{}/lint.txt' 2>&1", dir, dir);
  const int rc = std::system(cmd.c_str());
  const std::string lint = read_text(dir + "/lint.txt");
  EXPECT_EQ(rc, 0) << lint;
  EXPECT_EQ(lint, "") << "promtool's lint findings";
  for (const char* family : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                             "process_start_time_seconds", "http_requests_total", "http_request_duration_seconds_bucket",
                             "learning_predictions_total", "executions_refused_total", "training_runs_total"}) {
    EXPECT_NE(metrics->body.find(std::string("\n") + family), std::string::npos) << family;
  }
}

}  // namespace
}  // namespace agentlearn
