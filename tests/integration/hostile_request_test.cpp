// Requests a hostile client sends, over real HTTP against the real binary: bodies nested far
// deeper than any limit, framing that would smuggle a second request, foreign Host and Origin
// headers, bodies sent without a token. Each is refused with a 4xx and the server keeps serving
// the next request; nothing smuggled is stored.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "http/client.hpp"
#include "server_process.hpp"

namespace agentlearn {
namespace {

using boost::beast::http::verb;
using json = nlohmann::json;
using testing::ServerProcess;

const char* kRecord =
    R"({"agent_id":"smuggled","task_id":"t-1","execution_time":1.5,"success":true,"task_description":"x"})";

// {"a":{"a":...{}...}} nested `levels` deep.
std::string nested_object(size_t levels) {
  std::string s;
  s.reserve(levels * 6 + 2);
  for (size_t i = 0; i < levels; ++i) s += "{\"a\":";
  s += "{}";
  s.append(levels, '}');
  return s;
}

class HostileRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::fresh_store_url("sqlite");
    ASSERT_FALSE(db_.empty());
    server_ = std::make_unique<ServerProcess>(db_);
    ASSERT_TRUE(server_->wait_ready()) << server_->log();
    client_ = std::make_unique<HttpClient>(server_->url());
  }
  ClientResponse call(verb method, const std::string& target, const std::string& body = {}) {
    auto r = client_->request(method, target, body, "application/json");
    EXPECT_TRUE(r.ok()) << r.status().message() << "\n" << server_->log();
    return r.ok() ? r.value() : ClientResponse{};
  }
  // The server is up and answers a plain request.
  void expect_serving() {
    ASSERT_TRUE(server_->running()) << server_->log();
    EXPECT_EQ(call(verb::get, "/health").status, 200);
  }
  int64_t stored_for(const std::string& agent) {
    auto r = call(verb::get, "/agents/performance?agent_id=" + agent);
    if (r.status == 404) return 0;
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false).value("total_executions", int64_t{-1});
  }

  std::string db_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(HostileRequestTest, DeeplyNestedBodiesAreRefusedWithoutCrashing) {
  // 100,000 levels: 600 KB, under the 1 MiB body limit. A recursive depth count overflowed the
  // stack on this before the depth check ran.
  const std::string deep = nested_object(100000);
  const std::string recommend = R"({"task_description":"fix the bug","context":)" + deep + "}";
  auto r = call(verb::post, "/task/recommend", recommend);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  EXPECT_EQ(json::parse(r.body, nullptr, false)["error"].value("field", ""), "body") << r.body.substr(0, 300);
  expect_serving();

  // Every other body that takes JSON: one record, a batch (JSON and NDJSON), the learning
  // routes' objects, and a context given in the query string.
  const std::string record = std::string(kRecord).insert(1, "\"context\":" + deep + ",");
  EXPECT_EQ(call(verb::post, "/agent/performance", record).status, 400);
  EXPECT_EQ(call(verb::post, "/agent/performance/batch", "[" + record + "]").status, 400);
  EXPECT_EQ(call(verb::post, "/agent/performance/batch", "{\"executions\":[" + record + "]}").status, 400);
  auto nd = client_->request(verb::post, "/agent/performance/batch", record + "\n", "application/x-ndjson");
  ASSERT_TRUE(nd.ok());
  EXPECT_EQ(nd->status, 400) << nd->body.substr(0, 300);
  EXPECT_EQ(call(verb::post, "/learning/train", "{\"x\":" + deep + "}").status, 400);
  EXPECT_EQ(call(verb::post, "/learning/mode", "{\"mode\":" + deep + "}").status, 400);
  // In a query: as deep as the 16 KiB request head allows.
  std::string query_context;
  for (int i = 0; i < 2000; ++i) query_context += "%5B";
  auto q = call(verb::get, "/agent/a/recommendations?task_description=x&context=" + query_context);
  EXPECT_EQ(q.status, 400) << q.body.substr(0, 300);
  expect_serving();
  EXPECT_EQ(stored_for("smuggled"), 0);
}


// Responses in what the server sent back on one connection: each carries one X-Request-Id
// (a status line may follow the previous body on the same line).
size_t responses_in(const std::string& raw) {
  size_t n = 0;
  for (size_t pos = raw.find("X-Request-Id: "); pos != std::string::npos; pos = raw.find("X-Request-Id: ", pos + 1)) ++n;
  return n;
}

std::string inner_post(const std::string& agent) {
  std::string record = kRecord;
  record.replace(record.find("smuggled"), 8, agent);
  return "POST /agent/performance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(record.size()) + "\r\n\r\n" + record;
}

TEST_F(HostileRequestTest, AmbiguousFramingIsRefusedAndNothingIsSmuggled) {
  struct Case {
    const char* name;
    std::string head;  // up to the blank line; the inner request follows as the "body"
    unsigned status;
  };
  const std::vector<Case> cases = {
      {"identity", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: identity\r\n", 400},
      {"gzip", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n", 400},
      {"chunked-identity", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked, identity\r\n", 400},
      {"split-lines",
       "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", 400},
      {"gzip-then-chunked", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n", 501},
      {"with-length",
       "POST /agent/performance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
       "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
       400},
      {"http10", "POST /agent/performance HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n", 400},
  };
  for (const Case& c : cases) {
    const std::string agent = std::string("smuggled-") + c.name;
    const std::string raw = testing::raw_http(server_->port(), c.head + "\r\n" + inner_post(agent));
    EXPECT_EQ(raw.substr(9, 3), std::to_string(c.status)) << c.name << ": " << raw;
    EXPECT_EQ(responses_in(raw), 1u) << c.name << ": the inner request was answered: " << raw;
    // Closed after the answer (HTTP/1.0 closes by default; 1.1 says so).
    if (raw.rfind("HTTP/1.1", 0) == 0) {
      EXPECT_NE(raw.find("Connection: close"), std::string::npos) << c.name << ": " << raw;
    }
    const bool names_framing = raw.find("\"field\":\"Transfer-Encoding\"") != std::string::npos ||
                               raw.find("\"field\":\"Content-Length\"") != std::string::npos;
    EXPECT_TRUE(names_framing) << c.name << ": " << raw;
    EXPECT_EQ(stored_for(agent), 0) << c.name;
  }
  // A plain chunked body still works, and so does a keep-alive connection after it.
  const std::string record = std::string(kRecord).replace(std::string(kRecord).find("smuggled"), 8, "chunked-ok");
  const std::string chunked = "POST /agent/performance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n" +
                              fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", record.size(), record) +
                              "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  const std::string raw = testing::raw_http(server_->port(), chunked);
  EXPECT_EQ(raw.substr(9, 3), "201") << raw;
  EXPECT_EQ(responses_in(raw), 2u) << raw;
  EXPECT_EQ(stored_for("chunked-ok"), 1);
  expect_serving();
}

TEST_F(HostileRequestTest, WithoutTokensOnlyThisServersHostNamesAreServed) {
  const std::string port = std::to_string(server_->port());
  auto get = [&](const std::string& host) {
    return testing::raw_http(server_->port(),
                             "GET /agents/performance HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
  };
  for (const std::string& host : {"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port}) {
    EXPECT_EQ(get(host).substr(9, 3), "200") << host;
  }
  const std::string rebound = get("attacker.example:" + port);
  EXPECT_EQ(rebound.substr(9, 3), "403") << rebound;
  EXPECT_NE(rebound.find("\"field\":\"Host\""), std::string::npos) << rebound;
  // A rebound page cannot change the learning mode either.
  const std::string before = json::parse(call(verb::get, "/learning/mode").body).value("mode", "");
  const std::string body = before == "exploit" ? R"({"mode":"rules"})" : R"({"mode":"exploit"})";
  const std::string set_mode = testing::raw_http(
      server_->port(), "POST /learning/mode HTTP/1.1\r\nHost: attacker.example:" + port +
                           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\n\r\n" + body);
  EXPECT_EQ(set_mode.substr(9, 3), "403") << set_mode;
  EXPECT_EQ(json::parse(call(verb::get, "/learning/mode").body).value("mode", ""), before);
  // Two Host lines are ambiguous, whichever comes first.
  for (const char* hosts : {"Host: 127.0.0.1\r\nHost: attacker.example", "Host: attacker.example\r\nHost: 127.0.0.1"}) {
    const std::string two = testing::raw_http(server_->port(), std::string("GET /health HTTP/1.1\r\n") + hosts + "\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(two.substr(9, 3), "400") << two;
  }
  // A missing Host on HTTP/1.1 is malformed.
  const std::string no_host = testing::raw_http(server_->port(), "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(no_host.substr(9, 3), "400") << no_host;
}

TEST_F(HostileRequestTest, StateChangesFromAForeignOriginAreRefused) {
  const std::string port = std::to_string(server_->port());
  auto post = [&](const std::string& origin, const std::string& agent) {
    std::string record = std::string(kRecord).replace(std::string(kRecord).find("smuggled"), 8, agent);
    return testing::raw_http(server_->port(), "POST /agent/performance HTTP/1.1\r\nHost: 127.0.0.1:" + port +
                                                  "\r\nOrigin: " + origin +
                                                  "\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                                  "Content-Length: " +
                                                  std::to_string(record.size()) + "\r\n\r\n" + record);
  };
  const std::string evil = post("http://attacker.example", "from-evil");
  EXPECT_EQ(evil.substr(9, 3), "403") << evil;
  EXPECT_NE(evil.find("\"field\":\"Origin\""), std::string::npos) << evil;
  EXPECT_EQ(post("null", "from-null").substr(9, 3), "403");
  EXPECT_EQ(stored_for("from-evil") + stored_for("from-null"), 0);
  // The dashboard's own page posts with its own origin.
  EXPECT_EQ(post("http://127.0.0.1:" + port, "from-self").substr(9, 3), "201");
  EXPECT_EQ(stored_for("from-self"), 1);
}

TEST_F(HostileRequestTest, InvalidUtf8InTheTargetIsRefusedAsValidJson) {
  for (const char* target : {"/agents/performance?agent_id=%ff%fe", "/agent/%ff%fe/recommendations",
                                   "/anomalies?agent_id=%C3", "/no/such/%ff"}) {
    auto r = call(verb::get, target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << target << ": " << r.body;
    EXPECT_TRUE(j["error"]["message"].is_string()) << r.body;
  }
  auto named = call(verb::get, "/agents/performance?agent_id=%ff%fe");
  EXPECT_EQ(json::parse(named.body)["error"].value("field", ""), "agent_id") << named.body;
  expect_serving();
}

class HostileRequestFlagsTest : public ::testing::Test {};

TEST_F(HostileRequestFlagsTest, AllowedHostsAndTokensDecideTheHost) {
  ServerProcess named(testing::fresh_store_url("sqlite"), {"--allowed-host", "agentlearn.internal"});
  ASSERT_TRUE(named.wait_ready()) << named.log();
  auto get = [](const ServerProcess& s, const std::string& host, const std::string& auth = {}) {
    return testing::raw_http(s.port(), "GET /agents/performance HTTP/1.1\r\nHost: " + host + "\r\n" + auth +
                                           "Connection: close\r\n\r\n")
        .substr(9, 3);
  };
  EXPECT_EQ(get(named, "agentlearn.internal:8080"), "200");
  EXPECT_EQ(get(named, "other.internal"), "403");
  // With tokens the token protects the service, whatever name reaches it.
  ServerProcess tokens(testing::fresh_store_url("sqlite"), {"--auth-token", "rd:read"});
  ASSERT_TRUE(tokens.wait_ready()) << tokens.log();
  EXPECT_EQ(get(tokens, "agentlearn:8080", "Authorization: Bearer rd\r\n"), "200");
  EXPECT_EQ(get(tokens, "agentlearn:8080"), "401");
}

TEST_F(HostileRequestFlagsTest, TheTokenIsCheckedBeforeTheBodyIsRead) {
  ServerProcess server(testing::fresh_store_url("sqlite"), {"--auth-token", "ing:ingest", "--auth-token", "rd:read"});
  ASSERT_TRUE(server.wait_ready()) << server.log();
  const std::string head =
      "POST /agent/performance/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 15000000\r\n";
  // The body is never sent: an answer can only come from the head. Before the fix the server
  // sent 100 Continue and waited for 15 MB.
  const std::string expect = testing::raw_http(server.port(), head + "Expect: 100-continue\r\n\r\n");
  EXPECT_EQ(expect.substr(9, 3), "401") << expect;
  EXPECT_EQ(expect.find("100 Continue"), std::string::npos) << expect;
  EXPECT_NE(expect.find("Connection: close"), std::string::npos) << expect;
  const std::string partial = testing::raw_http(server.port(), head + "\r\n[{\"agent_id\":");
  EXPECT_EQ(partial.substr(9, 3), "401") << partial;
  // The wrong role is refused as early, and before the size check (413).
  const std::string wrong_role = testing::raw_http(
      server.port(), "POST /agent/performance/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer rd\r\n"
                     "Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n");
  EXPECT_EQ(wrong_role.substr(9, 3), "403") << wrong_role;
  const std::string too_large = testing::raw_http(
      server.port(), "POST /agent/performance/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ing\r\n"
                     "Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n");
  EXPECT_EQ(too_large.substr(9, 3), "413") << too_large;
}

}  // namespace
}  // namespace agentlearn
