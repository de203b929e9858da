// Liveness and readiness against the real binary on a real store: a full disk (a 4 MiB tmpfs
// in a mount namespace of this test process, filled to the last block) turns /health/ready to
// 503 and /health to "degraded" with store_writable false, while the server lives on; freeing
// the space makes it ready again, and it stores again. Without the privilege to mount (not
// root), the database directory is made read-only instead. Also: HEAD on /health and
// /health/ready through the real server, as monitors send it. And an analytics rollup far
// behind: not ready, exact answers, ready again once rolled up.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
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
using testing::eventually;
using testing::ServerProcess;

constexpr const char* kRecord =
    R"({"agent_id":"coder","task_id":"t-full","execution_time":4.5,"success":true,"task_type":"debugging"})";

// Fills the file system holding `dir` to the last byte (ENOSPC); returns the bytes written.
size_t fill_disk(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::vector<char> block(4096, 'f');
  size_t written = 0;
  while (true) {
    size_t n = std::fwrite(block.data(), 1, block.size(), f);
    written += n;
    if (n < block.size() || std::fflush(f) != 0) break;
  }
  std::fclose(f);
  return written;
}

class Readiness : public ::testing::Test {
 protected:
  json get_json(HttpClient& c, const std::string& target, int* status) {
    auto r = c.request(verb::get, target);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return {};
    *status = r->status;
    return json::parse(r->body, nullptr, false);
  }
};

TEST_F(Readiness, AFullDiskIsNotReadyAndFreeingItIsReadyAgain) {
  const std::string dir = testing::make_temp_dir("agentlearn-full");
  // A tiny file system of our own: this test process gets its own mount namespace (ctest runs
  // each test in its own process), so the mount is seen by it and the server it starts only.
  bool tmpfs = false;
  if (::unshare(CLONE_NEWNS) == 0 && ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
      ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=4m") == 0) {
    tmpfs = true;
  } else {
    ASSERT_NE(::geteuid(), 0u) << "running as root but cannot mount a tmpfs: " << std::strerror(errno);
  }
  const std::string db = dir + "/agentlearn.db";
  ServerProcess server("sqlite:" + db);
  ASSERT_TRUE(server.wait_ready()) << server.log();
  HttpClient c(server.url());
  int status = 0;
  ASSERT_TRUE(eventually([&] { return get_json(c, "/health/ready", &status)["ready"] == true && status == 200; }))
      << server.log();
  json h = get_json(c, "/health", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(h["status"], "healthy");
  EXPECT_EQ(h["store_writable"], true);

  const std::string filler = dir + "/filler";
  if (tmpfs) {
    EXPECT_GT(fill_disk(filler), 1u << 20);  // most of the 4 MiB: the store is small
  } else {
    ASSERT_EQ(::chmod(dir.c_str(), 0555), 0) << std::strerror(errno);
  }
  json ready;
  ASSERT_TRUE(eventually([&] {
    ready = get_json(c, "/health/ready", &status);
    return status == 503;
  })) << ready.dump() << server.log();
  EXPECT_EQ(ready["ready"], false);
  EXPECT_EQ(ready["store_connected"], true);
  EXPECT_EQ(ready["store_writable"], false);
  ASSERT_EQ(ready["reasons"].size(), 1u) << ready.dump();
  const std::string why = ready["reasons"][0];
  EXPECT_NE(why.find(tmpfs ? "No space left on device" : "Permission denied"), std::string::npos) << why;
  // Alive, degraded: restarting the process would not free the disk.
  h = get_json(c, "/health", &status);
  EXPECT_EQ(status, 200) << h.dump();
  EXPECT_EQ(h["status"], "degraded");
  EXPECT_EQ(h["database"], "connected");
  EXPECT_EQ(h["store_writable"], false);
  EXPECT_NE(h["store_write_error"].get<std::string>().find(tmpfs ? "No space" : "Permission"), std::string::npos);
  std::string raw = testing::raw_http(server.port(), "HEAD /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 503 ", 0), 0u) << raw;
  EXPECT_EQ(raw.substr(raw.find("\r\n\r\n") + 4), "") << "HEAD sent a body";
  auto metrics = c.request(verb::get, "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("\nstore_writable 0"), std::string::npos);

  // A write now is refused, not acknowledged: nothing is stored (the id below shows it).
  auto refused = c.request(verb::post, "/agent/performance", kRecord);
  ASSERT_TRUE(refused.ok());
  EXPECT_GE(refused->status, 500) << refused->body;

  // Space again: ready again, and an execution is stored.
  if (tmpfs) {
    ASSERT_TRUE(std::filesystem::remove(filler));
  } else {
    ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  }
  ASSERT_TRUE(eventually([&] { return get_json(c, "/health/ready", &status)["ready"] == true && status == 200; }))
      << server.log();
  EXPECT_EQ(get_json(c, "/health", &status)["status"], "healthy");
  auto rec = c.request(verb::post, "/agent/performance", kRecord);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->status, 201) << rec->body;
  EXPECT_EQ(json::parse(rec->body, nullptr, false).value("id", 0), 1) << "the refused write was stored: " << rec->body;
  EXPECT_TRUE(server.running());
  server.kill9();
  if (tmpfs) ::umount(dir.c_str());
}

TEST_F(Readiness, HeadOnHealthRoutesHasTheGetHeadersAndNoBody) {
  ServerProcess server("sqlite:" + testing::make_temp_dir("agentlearn-head") + "/agentlearn.db");
  ASSERT_TRUE(server.wait_ready()) << server.log();
  HttpClient c(server.url());
  int status = 0;
  ASSERT_TRUE(eventually([&] { return get_json(c, "/health/ready", &status)["ready"] == true; }));
  for (const char* target : {"/health", "/health/ready", "/"}) {
    std::string head = testing::raw_http(server.port(), std::string("HEAD ") + target +
                                                            " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    std::string get = testing::raw_http(server.port(), std::string("GET ") + target +
                                                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    ASSERT_NE(head.find("\r\n\r\n"), std::string::npos) << target << ": " << head;
    EXPECT_EQ(head.substr(0, head.find("\r\n")), get.substr(0, get.find("\r\n"))) << target;
    EXPECT_EQ(head.substr(head.find("\r\n\r\n") + 4), "") << target;
    // /health's body holds the uptime, whose digits may grow between the two requests.
    EXPECT_NE(head.find("Content-Length: "), std::string::npos) << target << ": " << head;
    EXPECT_NE(head.find("Content-Type: " + std::string(target == std::string("/") ? "text/plain" : "application/json")),
              std::string::npos)
        << target << ": " << head;
  }
  std::string root = testing::raw_http(server.port(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(root.rfind("HTTP/1.1 302 ", 0), 0u) << root;
  EXPECT_NE(root.find("Location: /dashboard\r\n"), std::string::npos) << root;
}

// The analytics rollup behind: a server whose rounds wait ten minutes after an empty round
// (so the one it runs at start is its last for the test) and that calls a journal row older
// than a second a lag. A recorded execution stays pending: /health shows it, /metrics too,
// /health/ready turns 503 naming the rollup, and the analytics still count it (the pending
// rows are read). A server with the default interval on the same store rolls it up: ready
// again, nothing pending, the same figures.
TEST_F(Readiness, ARollupFarBehindIsNotReadyAndAnswersStayExact) {
  const std::string dir = testing::make_temp_dir("agentlearn-lag");
  const std::string db = "sqlite:" + dir + "/agentlearn.db";
  {
    std::ofstream(dir + "/slow.yaml") << "rollup_interval_ms: 600000\nrollup_max_lag_seconds: 1\n";
    ServerProcess server(db, {"--config", dir + "/slow.yaml"});
    ASSERT_TRUE(server.wait_ready()) << server.log();
    HttpClient c(server.url());
    int status = 0;
    ASSERT_TRUE(eventually([&] { return get_json(c, "/health/ready", &status)["ready"] == true; })) << server.log();
    auto rec = c.request(verb::post, "/agent/performance", kRecord);
    ASSERT_TRUE(rec.ok() && rec->status == 201) << (rec.ok() ? rec->body : rec.status().message());
    json ready;
    ASSERT_TRUE(eventually([&] {
      ready = get_json(c, "/health/ready", &status);
      return status == 503;
    })) << ready.dump();
    EXPECT_EQ(ready["ready"], false);
    ASSERT_EQ(ready["reasons"].size(), 1u) << ready.dump();
    EXPECT_NE(ready["reasons"][0].get<std::string>().find("analytics rollup is behind: 1 executions pending"),
              std::string::npos)
        << ready.dump();
    json health = get_json(c, "/health", &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(health["analytics_rollup"]["pending_executions"], 1) << health.dump();
    EXPECT_EQ(health["analytics_rollup"]["pending_journal_rows"], 1) << health.dump();
    EXPECT_GT(health["analytics_rollup"]["oldest_pending_seconds"].get<double>(), 1.0) << health.dump();
    EXPECT_EQ(health["analytics_rollup"]["running"], true);
    auto metrics = c.request(verb::get, "/metrics");
    ASSERT_TRUE(metrics.ok());
    EXPECT_NE(metrics->body.find("\nanalytics_rollup_pending_executions 1\n"), std::string::npos)
        << metrics->body;
    json perf = get_json(c, "/agents/performance", &status);
    ASSERT_EQ(status, 200) << perf.dump();
    EXPECT_EQ(perf["total_executions"], 1) << perf.dump();
    EXPECT_EQ(server.terminate(), 0);
  }
  ServerProcess server(db);
  ASSERT_TRUE(server.wait_ready()) << server.log();
  HttpClient c(server.url());
  int status = 0;
  json health;
  ASSERT_TRUE(eventually([&] {
    health = get_json(c, "/health", &status);
    return health["analytics_rollup"]["pending_executions"] == 0 && health["analytics_rollup"]["rounds"] == 1;
  })) << health.dump();
  EXPECT_EQ(health["analytics_rollup"]["executions_rolled_up"], 1);
  ASSERT_TRUE(eventually([&] { return get_json(c, "/health/ready", &status)["ready"] == true; }));
  json perf = get_json(c, "/agents/performance", &status);
  EXPECT_EQ(perf["total_executions"], 1) << perf.dump();
}

}  // namespace
}  // namespace agentlearn
