#pragma once
// A real http::Server on a free loopback port, serving a router the test builds, with the
// repository's HttpClient to talk to it and the log captured. The pools are the test's, so
// a test can wait for work to end (join) instead of guessing a duration.
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/client.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"

namespace agentlearn::testing {

// Keeps every log line (formatted) for the test to read.
class CapturingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  // The lines holding every one of `parts`.
  std::vector<std::string> lines_with(std::initializer_list<std::string> parts) {
    std::lock_guard lock(mutex_);
    return matching(parts);
  }
  // Waits until `n` lines hold every one of `parts` (a line logged after the answer went
  // out: the test has the answer before the line exists), then returns them; what there is
  // after a minute (a limit only against a hang).
  std::vector<std::string> await_lines_with(std::initializer_list<std::string> parts, size_t n = 1) {
    std::unique_lock lock(mutex_);
    logged_.wait_for(lock, std::chrono::minutes(1), [&] { return matching(parts).size() >= n; });
    return matching(parts);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    lines_.emplace_back(buf.data(), buf.size());
    logged_.notify_all();
  }
  void flush_() override {}

 private:
  // Called with mutex_ held.
  std::vector<std::string> matching(std::initializer_list<std::string> parts) const {
    std::vector<std::string> out;
    for (const std::string& line : lines_) {
      bool all = true;
      for (const std::string& p : parts) all = all && line.find(p) != std::string::npos;
      if (all) out.push_back(line);
    }
    return out;
  }

  std::vector<std::string> lines_;
  std::condition_variable logged_;
};

class RouteServer {
 public:
  RouteServer() : log_(std::make_shared<CapturingSink>()), previous_logger_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("route-test", log_));
  }
  ~RouteServer() { stop(); }

  // Starts serving `router` (one I/O thread) and connects the client.
  void start(http::Router router) {
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(std::move(options), std::move(router), registry_);
    Status st = server_->start();
    ASSERT_TRUE(st.ok()) << st.message();
    thread_ = std::thread([this] { server_->run(); });
    client_ = std::make_unique<HttpClient>(fmt::format("http://127.0.0.1:{}", server_->port()));
  }

  void stop() {
    if (!server_) return;
    client_.reset();
    server_->stop();
    thread_.join();
    // Work still queued holds connections; it ends before the server goes.
    blocking.join();
    compute.join();
    server_.reset();
    spdlog::set_default_logger(previous_logger_);
  }

  // One request on the kept-alive connection; fails the test if no response came.
  ClientResponse request(boost::beast::http::verb method, std::string_view target, std::string_view body = {},
                         std::string_view content_type = "application/json") {
    auto res = client_->request(method, target, body, content_type);
    EXPECT_TRUE(res.ok()) << res.status().message();
    return res.ok() ? std::move(res).value() : ClientResponse{};
  }
  ClientResponse get(std::string_view target) { return request(boost::beast::http::verb::get, target); }
  ClientResponse post(std::string_view target, std::string_view body,
                      std::string_view content_type = "application/json") {
    return request(boost::beast::http::verb::post, target, body, content_type);
  }

  CapturingSink& log() { return *log_; }
  metrics::Registry& registry() { return registry_; }
  uint16_t port() const { return server_->port(); }

  boost::asio::thread_pool blocking{1};
  boost::asio::thread_pool compute{1};

 private:
  std::shared_ptr<CapturingSink> log_;
  std::shared_ptr<spdlog::logger> previous_logger_;
  metrics::Registry registry_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  std::unique_ptr<HttpClient> client_;
};

inline nlohmann::json json_of(const ClientResponse& res) {
  nlohmann::json j = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << res.body;
  return j;
}

}  // namespace agentlearn::testing
