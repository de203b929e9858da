// What a newcomer and a monitor meet first, through the real Router and Server over a fake
// LearningApi: GET / redirects to the dashboard; every GET route of the route table answers
// HEAD with the same status and headers and no body; /health (liveness) and /health/ready
// (readiness: store reachable, writable, models loaded when a set is stored) apart.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cctype>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fake_learning_api.hpp"
#include "http/api_routes.hpp"
#include "http/root_route.hpp"
#include "route_server.hpp"

namespace agentlearn {
namespace {

using nlohmann::json;
using testing::FakeLearningApi;
using testing::json_of;

struct RawResponse {
  std::string status_line;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string raw;
};

// One request on its own connection (Connection: close); everything the server sends back.
RawResponse exchange(uint16_t port, const std::string& method, const std::string& target) {
  namespace net = boost::asio;
  net::io_context io;
  net::ip::tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  net::write(socket, net::buffer(req));
  std::string raw;
  boost::system::error_code ec;
  net::read(socket, net::dynamic_buffer(raw), ec);  // until the server closes
  RawResponse out;
  out.raw = raw;
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return out;
  out.body = raw.substr(end + 4);
  size_t pos = raw.find("\r\n");
  out.status_line = raw.substr(0, pos);
  while (pos < end) {
    size_t next = raw.find("\r\n", pos + 2);
    std::string line = raw.substr(pos + 2, next - pos - 2);
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t v = line.find_first_not_of(' ', colon + 1);
    out.headers.emplace(name, v == std::string::npos ? "" : line.substr(v));
    pos = next;
  }
  return out;
}

std::string header(const RawResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

class HeadRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    router_ = std::make_unique<http::Router>(
        http::build_api_router({fake, registry, blocking, compute, {}}));
    for (const http::Route& r : router_->routes()) {
      if (r.method == boost::beast::http::verb::get) get_patterns.push_back(r.pattern);
    }
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    srv = std::make_unique<http::Server>(std::move(options), std::move(*router_), registry);
    Status st = srv->start();
    ASSERT_TRUE(st.ok()) << st.message();
    thread = std::thread([this] { srv->run(); });
  }
  void TearDown() override {
    if (!srv) return;
    srv->stop();
    thread.join();
    blocking.join();
    compute.join();
  }

  FakeLearningApi fake;
  metrics::Registry registry;
  boost::asio::thread_pool blocking{1};
  boost::asio::thread_pool compute{1};
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::Server> srv;
  std::thread thread;
  std::vector<std::string> get_patterns;
};

// A concrete target for a route pattern: each {capture} becomes a value.
std::string target_of(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      i = pattern.find('}', i);
      out += "coder";
    } else {
      out += pattern[i];
    }
  }
  return out;
}

TEST_F(HeadRoutes, EveryGetRouteAnswersHeadWithTheSameStatusAndHeaders) {
  ASSERT_GE(get_patterns.size(), 8u);  // /, /health, /health/ready, /agents/performance, ...
  int ok_routes = 0;
  for (const std::string& pattern : get_patterns) {
    const std::string target = target_of(pattern);
    RawResponse get = exchange(srv->port(), "GET", target);
    RawResponse head = exchange(srv->port(), "HEAD", target);
    RawResponse again = exchange(srv->port(), "GET", target);
    // A body that changes from one request to the next (/metrics counts the requests) has a
    // length of its own each time; the others must announce exactly GET's length.
    const bool stable = again.body == get.body;
    ASSERT_FALSE(get.status_line.empty()) << pattern << ": " << get.raw;
    EXPECT_EQ(head.status_line, get.status_line) << pattern;
    EXPECT_EQ(head.status_line.find("405"), std::string::npos) << pattern << ": " << head.raw;
    EXPECT_TRUE(head.body.empty()) << pattern << " sent a body to HEAD: " << head.body;
    if (stable) {
      EXPECT_EQ(header(head, "content-length"), std::to_string(get.body.size())) << pattern;
    } else {
      EXPECT_FALSE(header(head, "content-length").empty()) << pattern;
    }
    // The same headers, but the request id (each exchange has its own).
    auto strip = [stable](std::multimap<std::string, std::string> h) {
      h.erase("x-request-id");
      if (!stable) h.erase("content-length");
      return h;
    };
    EXPECT_EQ(strip(head.headers), strip(get.headers)) << pattern << "\nGET:\n" << get.raw << "\nHEAD:\n" << head.raw;
    EXPECT_FALSE(header(head, "x-request-id").empty()) << pattern;
    if (get.status_line.find(" 200 ") != std::string::npos) ++ok_routes;
  }
  // Most GET routes answer 200 over the fake (some need a query parameter and answer 400).
  EXPECT_GE(ok_routes, 5) << "too few GET routes answered 200: the comparison proves little";
}

TEST_F(HeadRoutes, HeadOnAPostOnlyRouteIsA405ListingItsMethods) {
  RawResponse r = exchange(srv->port(), "HEAD", "/agent/performance");
  EXPECT_NE(r.status_line.find(" 405 "), std::string::npos) << r.raw;
  EXPECT_EQ(header(r, "allow"), "POST");
  EXPECT_TRUE(r.body.empty());
  RawResponse mode = exchange(srv->port(), "DELETE", "/learning/mode");
  EXPECT_EQ(header(mode, "allow"), "GET, HEAD, POST") << mode.raw;
}

TEST_F(HeadRoutes, RootRedirectsToTheDashboard) {
  for (const char* method : {"GET", "HEAD"}) {
    RawResponse r = exchange(srv->port(), method, "/");
    EXPECT_NE(r.status_line.find(" 302 "), std::string::npos) << method << ": " << r.raw;
    EXPECT_EQ(header(r, "location"), "/dashboard") << method;
  }
  RawResponse q = exchange(srv->port(), "GET", "/?from=bookmark");
  EXPECT_EQ(header(q, "location"), "/dashboard") << q.raw;
}

class HealthRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    server.start(http::build_api_router({fake, server.registry(), server.blocking, server.compute, {}}));
  }
  void TearDown() override { server.stop(); }
  FakeLearningApi fake;
  testing::RouteServer server;
};

TEST_F(HealthRoutes, ReadyWhenConnectedWritableAndNoModelSetStored) {
  ClientResponse res = server.get("/health/ready");
  ASSERT_EQ(res.status, 200) << res.body;
  json j = json_of(res);
  EXPECT_EQ(j["ready"], true);
  EXPECT_EQ(j["store_writable"], true);
  EXPECT_EQ(j["model_set_stored"], false);
  EXPECT_EQ(j["models_loaded"], false);
  EXPECT_EQ(j["reasons"], json::array());
  json h = json_of(server.get("/health"));
  EXPECT_EQ(h["status"], "healthy");
  EXPECT_EQ(h["store_writable"], true);
  EXPECT_TRUE(h["store_write_error"].is_null());
}

TEST_F(HealthRoutes, AFullDiskIsLiveButDegradedAndNotReady) {
  fake.health_report.store_writable = false;
  fake.health_report.store_write_error = "sqlite: cannot write to x.write-probe: No space left on device";
  ClientResponse live = server.get("/health");
  EXPECT_EQ(live.status, 200) << live.body;  // alive: restarting would not free the disk
  json h = json_of(live);
  EXPECT_EQ(h["status"], "degraded");
  EXPECT_EQ(h["database"], "connected");
  EXPECT_EQ(h["store_writable"], false);
  EXPECT_EQ(h["store_write_error"], fake.health_report.store_write_error);

  ClientResponse ready = server.get("/health/ready");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(ready.retry_after, "5");
  json j = json_of(ready);
  EXPECT_EQ(j["ready"], false);
  ASSERT_EQ(j["reasons"].size(), 1u);
  EXPECT_NE(j["reasons"][0].get<std::string>().find("No space left"), std::string::npos) << ready.body;
}

TEST_F(HealthRoutes, AStoredModelSetMustBeLoadedToBeReady) {
  fake.health_report.model_set_stored = true;
  ClientResponse res = server.get("/health/ready");
  EXPECT_EQ(res.status, 503) << res.body;
  EXPECT_NE(res.body.find("none is loaded"), std::string::npos) << res.body;
  EXPECT_EQ(server.get("/health").status, 200);  // still alive
}

TEST_F(HealthRoutes, AnUnreachableStoreIsNeitherHealthyNorReady) {
  fake.health_report.store_connected = false;
  EXPECT_EQ(server.get("/health").status, 503);
  ClientResponse res = server.get("/health/ready");
  EXPECT_EQ(res.status, 503);
  EXPECT_NE(res.body.find("unreachable"), std::string::npos) << res.body;
}

}  // namespace
}  // namespace agentlearn
