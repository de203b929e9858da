// GET /metrics stays bounded under hostile input: 10,000 distinct paths, invented methods and
// 5,000 agent ids through the real server, routes and service over an in-memory store. Route
// labels are the router's patterns (never raw paths), methods a fixed set, and agents past
// metrics_max_agents are counted as "other"; the counts still add up.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <future>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fake_stores.hpp"
#include "http/api_routes.hpp"
#include "route_server.hpp"
#include "service/learning_service.hpp"

namespace agentlearn {
namespace {

using boost::beast::http::verb;
using testing::FakeStore;
using testing::FakeStoreWriter;
using testing::RouteServer;

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample line of an exposition (label values here hold no quotes or commas).
std::vector<Sample> parse_exposition(const std::string& text) {
  static const std::regex line_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$)");
  static const std::regex label_re(R"(([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)\")");
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, line_re)) << line;
    if (m.empty()) continue;
    Sample s{m[1], {}, std::stod(m[4])};
    const std::string labels = m[3];
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label_re); it != std::sregex_iterator(); ++it) {
      s.labels[(*it)[1]] = (*it)[2];
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> family(const std::vector<Sample>& all, const std::string& name) {
  std::vector<Sample> out;
  for (const auto& s : all) {
    if (s.name == name) out.push_back(s);
  }
  return out;
}

// One request with an invented method on its own connection; the status line's code.
int invented_method(uint16_t port, const std::string& method, const std::string& target) {
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  const std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", method, target);
  net::write(socket, net::buffer(req));
  std::string reply;
  boost::system::error_code ec;
  net::read(socket, net::dynamic_buffer(reply), ec);  // until the server closes
  return reply.size() > 12 ? std::stoi(reply.substr(9, 3)) : 0;
}

class MetricsCardinality : public ::testing::Test {
 protected:
  static constexpr size_t kCap = 50;
  static constexpr int kAgents = 5000;
  static constexpr int kPaths = 10000;

  void SetUp() override {
    writer_ = std::make_unique<GroupWriter>(std::make_unique<FakeStoreWriter>(store_.fake_executions()));
    ServiceOptions o;
    o.start_trainer = false;
    o.log_recommendations = false;
    o.learning.similarity.enabled = false;
    o.metrics_max_agents = kCap;
    service_ = std::make_unique<LearningService>(store_, *writer_, server_.registry(), o);
    server_.start(http::build_api_router({*service_, server_.registry(), server_.blocking, server_.compute, {}}));
  }
  void TearDown() override {
    server_.stop();
    service_.reset();
    writer_.reset();
  }

  RouteServer server_;
  FakeStore store_;
  std::unique_ptr<GroupWriter> writer_;
  std::unique_ptr<LearningService> service_;
};

TEST_F(MetricsCardinality, HostilePathsMethodsAndAgentsKeepTheSeriesBounded) {
  // 5,000 agents, each with one recorded run, in one batch.
  std::string batch;
  for (int i = 0; i < kAgents; ++i) {
    batch += fmt::format(R"({{"agent_id":"agent-{}","task_id":"t{}","task_type":"bugfix","success":{},)"
                         R"("execution_time":3}})"
                         "\n",
                         i, i, i % 3 != 0 ? "true" : "false");
  }
  ASSERT_EQ(server_.post("/agent/performance/batch", batch, "application/x-ndjson").status, 201);

  // One recommendation naming each agent, plus 100 naming agents nobody recorded.
  for (int i = 0; i < kAgents + 100; ++i) {
    const std::string agent = i < kAgents ? fmt::format("agent-{}", i) : fmt::format("stranger-{}", i);
    auto res = server_.post("/task/recommend",
                            fmt::format(R"({{"task_description":"fix a bug","task_type":"bugfix","candidates":["{}"]}})",
                                        agent));
    ASSERT_EQ(res.status, 200) << res.body;
  }

  // 10,000 distinct paths: half through a route with a path parameter, half matching nothing.
  for (int i = 0; i < kPaths; ++i) {
    const std::string target = i % 2 == 0 ? fmt::format("/agent/nobody-{}/recommendations", i)
                                          : fmt::format("/no/such/path/{}", i);
    EXPECT_EQ(server_.get(target).status, 404) << target;
  }
  // Invented methods (each its own label value, were the raw method used).
  for (int i = 0; i < 50; ++i) {
    EXPECT_GE(invented_method(server_.port(), fmt::format("BREW{}", i), fmt::format("/metrics/{}", i)), 400);
  }

  const auto all = parse_exposition(server_.get("/metrics").body);

  // Requests: labels only from the router's patterns and a fixed method set.
  const std::set<std::string> routes = {"/agent/performance/batch", "/task/recommend", "/agent/{agent_id}/recommendations",
                                        "unmatched", "/metrics"};
  const std::set<std::string> methods = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
                                         "other"};
  const auto requests = family(all, "http_requests_total");
  double total = 0;
  for (const auto& s : requests) {
    EXPECT_TRUE(routes.count(s.labels.at("route"))) << s.labels.at("route");
    EXPECT_TRUE(methods.count(s.labels.at("method"))) << s.labels.at("method");
    total += s.value;
  }
  EXPECT_LE(requests.size(), 10u);
  // Every request before this scrape is counted (the scrape itself is counted after it answers).
  EXPECT_EQ(total, 1 + (kAgents + 100) + kPaths + 50);
  EXPECT_LE(family(all, "http_request_duration_seconds_count").size(), 10u);
  double other_method = 0;
  for (const auto& s : requests) {
    if (s.labels.at("method") == "other") other_method += s.value;
  }
  EXPECT_EQ(other_method, 50);

  // Predictions: kCap agents by name, the rest (and the strangers) as "other"; none lost.
  const auto predictions = family(all, "learning_predictions_total");
  EXPECT_EQ(predictions.size(), kCap + 1);
  double predicted = 0, other = 0;
  for (const auto& s : predictions) {
    predicted += s.value;
    if (s.labels.at("agent") == "other") other = s.value;
  }
  EXPECT_EQ(predicted, kAgents + 100);
  EXPECT_EQ(other, kAgents + 100 - static_cast<double>(kCap));

  // And the exposition as a whole stays small: no family grew with the input.
  EXPECT_LT(all.size(), 1500u);
}

TEST_F(MetricsCardinality, RefusalsAreCountedByReasonFromZero) {
  auto refused = [&] {
    std::map<std::string, double> out;
    for (const auto& s : family(parse_exposition(server_.get("/metrics").body), "executions_refused_total")) {
      out[s.labels.at("reason")] = s.value;
    }
    return out;
  };
  const std::map<std::string, double> zero = {{"conflict", 0},   {"invalid", 0},     {"overloaded", 0},
                                              {"store_error", 0}, {"store_unavailable", 0}, {"unsupported_media_type", 0}};
  EXPECT_EQ(refused(), zero);

  EXPECT_EQ(server_.post("/agent/performance", R"({"agent_id":"a","task_id":"t","success":"yes","execution_time":1})")
                .status,
            400);
  EXPECT_EQ(server_.post("/agent/performance", "not json").status, 400);
  EXPECT_EQ(server_.post("/agent/performance", "{}", "text/plain").status, 415);
  // A batch refused whole counts each of its records.
  EXPECT_EQ(server_
                .post("/agent/performance/batch",
                      "{\"agent_id\":\"a\",\"task_id\":\"t1\",\"success\":true,\"execution_time\":1}\n"
                      "{\"agent_id\":\"a\",\"task_id\":\"t2\",\"success\":true}\n"
                      "{\"agent_id\":\"a\",\"task_id\":\"t3\",\"success\":true,\"execution_time\":1}\n",
                      "application/x-ndjson")
                .status,
            400);
  // Same id, other content: a conflict.
  const std::string first = R"({"agent_id":"a","task_id":"t","success":true,"execution_time":1,"execution_id":"e1"})";
  const std::string other = R"({"agent_id":"a","task_id":"t","success":false,"execution_time":1,"execution_id":"e1"})";
  EXPECT_EQ(server_.post("/agent/performance", first).status, 201);
  EXPECT_EQ(server_.post("/agent/performance", other).status, 409);
  // The store down: refused as unavailable.
  store_.set_down(true);
  EXPECT_EQ(server_.post("/agent/performance", first).status, 503);

  auto after = refused();
  EXPECT_EQ(after["invalid"], 2 + 3);
  EXPECT_EQ(after["unsupported_media_type"], 1);
  EXPECT_EQ(after["conflict"], 1);
  EXPECT_EQ(after["store_unavailable"], 1);
  EXPECT_EQ(after["overloaded"], 0);
  EXPECT_EQ(after["store_error"], 0);
}

TEST_F(MetricsCardinality, TrainingSeriesExistFromTheStart) {
  const std::string text = server_.get("/metrics").body;
  for (const char* line : {"training_runs_total{result=\"promoted\"} 0\n", "training_runs_total{result=\"rejected\"} 0\n",
                           "training_runs_total{result=\"failed\"} 0\n", "training_last_success_timestamp_seconds 0\n",
                           "training_due 0\n", "model_training_duration_seconds_count 0\n",
                           "anomalies_detected_total 0\n", "executions_recorded_total 0\n", "store_up 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace agentlearn
