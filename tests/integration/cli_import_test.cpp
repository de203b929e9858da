// `agentlearn import` and `agentlearn record` as a user runs them: the real binary as a
// subprocess, into a SQLite store (--db) and through a real `agentlearn serve`.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <mutex>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.hpp"
#include "core/execution.hpp"
#include "http/client.hpp"
#include "service/analytics.hpp"
#include "store/open_store.hpp"
#include "store/store.hpp"

namespace agentlearn {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kSwebench = testing::swebench_executions();

using testing::CliProcess;
using testing::CliRun;
using testing::describe;
using testing::slurp;
using testing::write_file;

using CliImport = testing::SwebenchCliTest;

TEST_F(CliImport, SwebenchIntoSqliteThenAllDuplicates) {
  std::string url = db("x.db");
  auto start = std::chrono::steady_clock::now();
  CliRun first = run({"import", "--db", url, kSwebench.string()});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(first.code, 0) << describe(first);
  EXPECT_NE(first.out.find("imported 12000, duplicates 0, rejected 0"), std::string::npos) << describe(first);
  std::cout << "[ timing ] import of 12,000 records with --db: "
            << std::chrono::duration<double>(took).count() << " s\n";

  CliRun again = run({"import", "--db", url, "--json", kSwebench.string()});
  ASSERT_EQ(again.code, 0) << describe(again);
  auto j = parse_json(again);
  EXPECT_EQ(j["imported"], 0);
  EXPECT_EQ(j["duplicates"], 12000);
  EXPECT_EQ(j["rejected"], 0);
  EXPECT_TRUE(j["errors"].empty());

  auto store = open_store(url);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto n = (*store)->executions().count_executions();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 12000);
  // The command rolled what it wrote up into the analytics cells before it exited.
  auto backlog = (*store)->analytics().backlog();
  ASSERT_TRUE(backlog.ok()) << backlog.status().message();
  EXPECT_EQ(backlog->executions, 0u);
  auto row = (*store)->executions().find_execution("claude-opus-4-5-20251101/astropy__astropy-12907");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->execution.agent_id, "claude-opus-4-5-20251101");
  EXPECT_EQ((*row)->execution.execution_time, 14.0);
  EXPECT_TRUE((*row)->execution.success);
}

TEST_F(CliImport, BadLinesAreReportedWithTheirNumbers) {
  fs::path file = dir_ / "small.jsonl";
  write_file(file,
             R"({"execution_id":"s-1","agent_id":"a","task_id":"t1","execution_time":1.5,"success":true})" "\n"
             R"({"execution_id":"s-2","task_id":"t2","execution_time":2,"success":false})" "\n"
             "\n"
             R"({"execution_id":"s-3","agent_id":"b","task_id":"t3","execution_time":3,"success":true})" "\r\n"
             R"({"execution_id":"s-4","agent_id":"b","task_id":"t4","execution_time":)" "\n"
             R"({"execution_id":"s-5","agent_id":"c","task_id":"t5","execution_time":5,"success":true,"task_type":"x"})");
  CliRun r = run({"import", "--db", db("small.db"), "--json", file.string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  auto j = parse_json(r);
  EXPECT_EQ(j["imported"], 3);
  EXPECT_EQ(j["rejected"], 2);
  ASSERT_EQ(j["errors"].size(), 2u) << r.out;
  EXPECT_EQ(j["errors"][0]["line"], 2);
  EXPECT_EQ(j["errors"][0]["field"], "agent_id");
  EXPECT_NE(j["errors"][0]["message"].get<std::string>().find("agent_id is required"), std::string::npos);
  EXPECT_EQ(j["errors"][1]["line"], 5);
  EXPECT_NE(j["errors"][1]["message"].get<std::string>().find("not valid JSON"), std::string::npos);

  // The text summary names the lines too.
  CliRun text = run({"import", "--db", db("small.db"), file.string()});
  ASSERT_EQ(text.code, 0) << describe(text);
  EXPECT_NE(text.out.find("imported 0, duplicates 3, rejected 2"), std::string::npos) << describe(text);
  EXPECT_NE(text.out.find("line 2: agent_id is required"), std::string::npos) << describe(text);
  EXPECT_NE(text.out.find("line 5: "), std::string::npos) << describe(text);
}

TEST_F(CliImport, AllRejectedExitsTwo) {
  fs::path file = dir_ / "bad.jsonl";
  write_file(file, "{\"agent_id\":\"a\"}\nnot json\n");
  CliRun r = run({"import", "--db", db("bad.db"), file.string()});
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_NE(r.out.find("imported 0, duplicates 0, rejected 2"), std::string::npos) << describe(r);

  CliRun missing = run({"import", "--db", db("bad.db"), (dir_ / "nope.jsonl").string()});
  EXPECT_EQ(missing.code, 2) << describe(missing);
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << describe(missing);
}

TEST_F(CliImport, CsvWithContextAndMetricsColumns) {
  fs::path file = dir_ / "runs.csv";
  write_file(file,
             "\xEF\xBB\xBF"
             "execution_id,agent_id,task_id,execution_time,success,task_type,task_description,"
             "context.difficulty,context.priority,context.urgent,metrics.cost_usd,metrics.tokens_out,metrics.model\r\n"
             "csv-1,coder,T-1,12.5,yes,bugfix,\"Fix the parser, it drops \"\"quoted\"\"\nfields\",hard,3,true,0.42,1200,"
             "gpt\r\n"
             "csv-2,reviewer,T-2,3,0,review,,easy,,FALSE,,,\r\n"
             "csv-3,reviewer,T-3,slow,1,review,,easy,1,false,,,\r\n"
             "csv-4,reviewer,T-4,4\r\n");
  CliRun r = run({"import", "--db", db("csv.db"), "--json", file.string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  auto j = parse_json(r);
  EXPECT_EQ(j["imported"], 2);
  EXPECT_EQ(j["rejected"], 2);
  ASSERT_EQ(j["errors"].size(), 2u) << r.out;
  EXPECT_EQ(j["errors"][0]["line"], 5);  // csv-1's description spans lines 2 and 3
  EXPECT_EQ(j["errors"][0]["field"], "execution_time");
  EXPECT_EQ(j["errors"][1]["line"], 6);
  EXPECT_NE(j["errors"][1]["message"].get<std::string>().find("expected 13 fields"), std::string::npos) << r.out;

  auto store = open_store(db("csv.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto one = (*store)->executions().find_execution("csv-1");
  ASSERT_TRUE(one.ok() && one->has_value());
  const Execution& e = (*one)->execution;
  EXPECT_EQ(e.agent_id, "coder");
  EXPECT_EQ(e.execution_time, 12.5);
  EXPECT_TRUE(e.success);
  EXPECT_EQ(e.task_type, "bugfix");
  EXPECT_EQ(e.task_description, "Fix the parser, it drops \"quoted\"\nfields");
  auto context = nlohmann::json::parse(e.context_json);
  EXPECT_EQ(context, nlohmann::json::parse(R"({"difficulty":"hard","priority":3,"urgent":true})")) << e.context_json;
  EXPECT_TRUE(context["priority"].is_number_integer());
  auto metrics = nlohmann::json::parse(e.metrics_json);
  EXPECT_EQ(metrics, nlohmann::json::parse(R"({"cost_usd":0.42,"tokens_out":1200,"model":"gpt"})")) << e.metrics_json;
  EXPECT_EQ(e.cost_usd, 0.42);

  auto two = (*store)->executions().find_execution("csv-2");
  ASSERT_TRUE(two.ok() && two->has_value());
  EXPECT_FALSE((*two)->execution.success);
  EXPECT_FALSE((*two)->execution.task_description.has_value());  // empty cell: absent
  EXPECT_EQ(nlohmann::json::parse((*two)->execution.context_json),
            nlohmann::json::parse(R"({"difficulty":"easy","urgent":false})"));
  EXPECT_EQ((*two)->execution.metrics_json, "{}");
  EXPECT_FALSE((*two)->execution.cost_usd.has_value());
}

TEST_F(CliImport, CsvFromStdinNeedsFormat) {
  std::string csv = "agent_id,task_id,execution_time,success\na,t,1,true\nb,t,2,false\n";
  CliRun r = run({"import", "--db", db("stdin.db"), "--format", "csv", "-"}, csv);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("imported 2, duplicates 0, rejected 0"), std::string::npos) << describe(r);

  CliRun header = run({"import", "--db", db("stdin.db"), "--format", "csv", "-"}, "agent,task\nx,y\n");
  EXPECT_EQ(header.code, 2) << describe(header);
  EXPECT_NE(header.err.find("column 'agent' is not an execution field"), std::string::npos) << describe(header);
}

TEST_F(CliImport, ConfigFileNamesTheStore) {
  fs::path config = dir_ / "learning.yaml";
  write_file(config, "database: " + db("from-config.db") + "\n");
  fs::path file = dir_ / "one.jsonl";
  write_file(file, R"({"agent_id":"a","task_id":"t","execution_time":1,"success":true})" "\n");
  CliRun r = run({"import", "--config", config.string(), file.string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("imported 1, duplicates 0, rejected 0"), std::string::npos) << describe(r);
  auto store = open_store(db("from-config.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto n = (*store)->executions().count_executions();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
}

TEST_F(CliImport, RecordIntoStore) {
  std::vector<std::string> args = {"record", "--db", db("rec.db"), "--agent-id", "coder", "--task-id", "T-9",
                                   "--execution-time", "4.5", "--success", "true", "--execution-id", "rec-1",
                                   "--context", R"({"difficulty":"hard"})", "--metrics", R"({"cost_usd":0.1})"};
  CliRun first = run(args);
  ASSERT_EQ(first.code, 0) << describe(first);
  EXPECT_EQ(first.out.rfind("recorded id=", 0), 0u) << describe(first);
  CliRun again = run(args);
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(again.out.rfind("duplicate id=", 0), 0u) << describe(again);

  // The same execution_id with other content is refused as a conflict.
  args[8] = "9";
  CliRun conflict = run(args);
  EXPECT_EQ(conflict.code, 2) << describe(conflict);
  EXPECT_NE(conflict.err.find("different content"), std::string::npos) << describe(conflict);

  CliRun bad = run({"record", "--db", db("rec.db"), "--agent-id", "a", "--task-id", "t", "--execution-time", "-3",
                 "--success", "true"});
  EXPECT_EQ(bad.code, 2) << describe(bad);
  EXPECT_NE(bad.err.find("execution_time"), std::string::npos) << describe(bad);

  CliRun from_stdin = run({"record", "--db", db("rec.db"), "--json", "-"},
                       R"({"agent_id":"a","task_id":"t","execution_time":1,"success":false})");
  ASSERT_EQ(from_stdin.code, 0) << describe(from_stdin);
  auto j = parse_json(from_stdin);
  EXPECT_EQ(j["status"], "recorded");
  EXPECT_TRUE(j["id"].is_number_integer());

  CliRun missing = run({"record", "--db", db("rec.db"), "--json", R"({"agent_id":"a","execution_time":1})"});
  EXPECT_EQ(missing.code, 2) << describe(missing);
  EXPECT_NE(missing.err.find("task_id is required"), std::string::npos) << describe(missing);
}

TEST_F(CliImport, ServerDownIsAClearFailure) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::string url = "http://127.0.0.1:" + std::to_string(probe.local_endpoint().port());
  probe.close();
  CliRun r = run({"import", "--url", url, kSwebench.string()});
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("cannot reach " + url + ": connection refused"), std::string::npos) << describe(r);
  CliRun rec = run({"record", "--url", url, "--agent-id", "a", "--task-id", "t", "--execution-time", "1", "--success",
                 "no"});
  EXPECT_EQ(rec.code, 1) << describe(rec);
  EXPECT_NE(rec.err.find("connection refused"), std::string::npos) << describe(rec);
}

// A scripted HTTP server in the test process, for the answers a healthy `serve` rarely
// gives: 503 with Retry-After, 413, 401.
class ScriptedServer {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  using Handler = std::function<Response(const Request&)>;

  explicit ScriptedServer(Handler handler)
      : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}), handler_(std::move(handler)) {
    thread_ = std::thread([this] {
      while (!stopping_) {
        boost::asio::ip::tcp::socket socket(ioc_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) return;
        boost::beast::flat_buffer buffer;
        for (;;) {  // keep-alive: answer until the client closes
          Request req;
          boost::beast::http::read(socket, buffer, req, ec);
          if (ec) break;
          Response res = handler_(req);
          res.version(11);
          res.keep_alive(true);
          res.prepare_payload();
          boost::beast::http::write(socket, res, ec);
          if (ec) break;
        }
      }
    });
  }
  ~ScriptedServer() {
    stopping_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

  static Response json(unsigned status, const std::string& body) {
    Response res{static_cast<boost::beast::http::status>(status), 11};
    res.set(boost::beast::http::field::content_type, "application/json");
    res.body() = body;
    return res;
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

std::string numbered_jsonl(int n) {
  std::string out;
  for (int i = 1; i <= n; ++i) {
    out += R"({"execution_id":"n-)" + std::to_string(i) +
           R"(","agent_id":"a","task_id":"t","execution_time":1,"success":true})" "\n";
  }
  return out;
}

TEST_F(CliImport, RetriesOn503AndSplitsBatchesOn413) {
  std::mutex mu;
  std::vector<std::string> log;  // one entry per request: its status and record count
  int calls = 0;
  ScriptedServer server([&](const ScriptedServer::Request& req) {
    std::lock_guard lock(mu);
    auto body = nlohmann::json::parse(req.body(), nullptr, false);
    size_t n = body.is_object() ? body["records"].size() : 0;
    ++calls;
    if (std::string(req.target()) != "/agent/performance/batch" ||
        std::string(req[boost::beast::http::field::authorization]) != "Bearer sesame") {
      log.push_back("400");
      return ScriptedServer::json(400, R"({"error":{"code":"invalid_argument","message":"wrong request"}})");
    }
    if (calls <= 2) {
      log.push_back("503/" + std::to_string(n));
      auto res = ScriptedServer::json(503, R"({"error":{"code":"unavailable","message":"busy"}})");
      res.set(boost::beast::http::field::retry_after, "0");
      return res;
    }
    if (n > 2) {
      log.push_back("413/" + std::to_string(n));
      return ScriptedServer::json(413, R"({"error":{"code":"payload_too_large","message":"too big"}})");
    }
    log.push_back("201/" + std::to_string(n));
    std::string ids;
    for (size_t i = 0; i < n; ++i) ids += (i ? "," : "") + std::to_string(calls * 10 + static_cast<int>(i));
    return ScriptedServer::json(
        201, R"({"status":"recorded","recorded":)" + std::to_string(n) + R"(,"duplicates":0,"ids":[)" + ids + "]}");
  });
  fs::path file = dir_ / "five.jsonl";
  write_file(file, numbered_jsonl(5));
  CliRun r = run({"import", "--url", server.url() + "/", "--token", "sesame", "--batch-size", "5", file.string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("imported 5, duplicates 0, rejected 0"), std::string::npos) << describe(r);
  std::lock_guard lock(mu);
  ASSERT_GE(log.size(), 4u);
  EXPECT_EQ(log[0], "503/5");
  EXPECT_EQ(log[1], "503/5");
  EXPECT_EQ(log[2], "413/5");
  size_t stored = 0;
  for (const auto& entry : log) {
    if (entry.rfind("201/", 0) == 0) stored += std::stoul(entry.substr(4));
  }
  EXPECT_EQ(stored, 5u) << ::testing::PrintToString(log);
}

TEST_F(CliImport, GivesUpWhenTheServerStaysUnavailableAndReportsAuthErrors) {
  ScriptedServer busy([&](const ScriptedServer::Request&) {
    auto res = ScriptedServer::json(503, R"({"error":{"code":"unavailable","message":"the store is down"}})");
    res.set(boost::beast::http::field::retry_after, "1");
    return res;
  });
  fs::path file = dir_ / "three.jsonl";
  write_file(file, numbered_jsonl(3));
  auto start = std::chrono::steady_clock::now();
  CliRun r = run({"import", "--url", busy.url(), "--retry-seconds", "2", file.string()});
  // Gives up after its 2 s retry budget, not never (the bound tells the two apart on a busy
  // machine; it is no speed figure).
  EXPECT_LT(std::chrono::steady_clock::now() - start, 120s);
  EXPECT_EQ(r.code, 1) << describe(r);
  EXPECT_NE(r.err.find("the store is down"), std::string::npos) << describe(r);

  ScriptedServer locked([&](const ScriptedServer::Request&) {
    auto res = ScriptedServer::json(401, R"({"error":{"code":"unauthorized","message":"an API token is required"}})");
    res.set("X-Request-Id", "req-77");
    return res;
  });
  CliRun denied = run({"import", "--url", locked.url(), file.string()});
  EXPECT_EQ(denied.code, 1) << describe(denied);
  EXPECT_NE(denied.err.find("an API token is required (HTTP 401, request id req-77)"), std::string::npos)
      << describe(denied);
  CliRun record = run({"record", "--url", locked.url(), "--agent-id", "a", "--task-id", "t", "--execution-time", "1",
                       "--success", "true"});
  EXPECT_EQ(record.code, 1) << describe(record);
  EXPECT_NE(record.err.find("an API token is required"), std::string::npos) << describe(record);
}

// A real server on a free loopback port; the test fails (never skips) if it does not come up.
class CliImportServer : public CliImport {
 protected:
  void SetUp() override {
    CliImport::SetUp();
    if (HasFatalFailure()) return;
    for (int attempt = 0; attempt < 3 && url_.empty(); ++attempt) {
      boost::asio::io_context ioc;
      boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
      std::string port = std::to_string(probe.local_endpoint().port());
      probe.close();
      server_ = std::make_unique<CliProcess>();
      ASSERT_TRUE(server_->start({"serve", "--host", "127.0.0.1", "--port", port, "--db", db("served.db")},
                                 dir_ / "serve.out", dir_ / "serve.err"));
      std::string candidate = "http://127.0.0.1:" + port;
      HttpClient client(candidate);
      auto deadline = std::chrono::steady_clock::now() + testing::kEventLimit;
      while (std::chrono::steady_clock::now() < deadline && server_->running()) {
        auto res = client.request(boost::beast::http::verb::get, "/health");
        if (res.ok() && res->status == 200) {
          url_ = candidate;
          break;
        }
        std::this_thread::sleep_for(50ms);
      }
      if (url_.empty()) server_.reset();  // port taken in between, or slow: try again
    }
    ASSERT_FALSE(url_.empty()) << "agentlearn serve did not come up:\n" << slurp(dir_ / "serve.err");
  }
  void TearDown() override {
    server_.reset();  // killed even when the test failed
    CliImport::TearDown();
  }

  std::unique_ptr<CliProcess> server_;
  std::string url_;
};

TEST_F(CliImportServer, SwebenchThroughTheServerThenAllDuplicates) {
  auto start = std::chrono::steady_clock::now();
  CliRun first = run({"import", "--url", url_, kSwebench.string()});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(first.code, 0) << describe(first);
  EXPECT_NE(first.out.find("imported 12000, duplicates 0, rejected 0"), std::string::npos) << describe(first);
  std::cout << "[ timing ] import of 12,000 records through the server: "
            << std::chrono::duration<double>(took).count() << " s\n";

  CliRun again = run({"import", "--url", url_, "--json", "--batch-size", "5000", kSwebench.string()});
  ASSERT_EQ(again.code, 0) << describe(again);
  auto j = parse_json(again);
  EXPECT_EQ(j["imported"], 0);
  EXPECT_EQ(j["duplicates"], 12000);
  EXPECT_EQ(j["rejected"], 0);
}

TEST_F(CliImportServer, ConflictsAreRejectedAndTheRestOfTheBatchIsStored) {
  fs::path base = dir_ / "base.jsonl";
  write_file(base, R"({"execution_id":"k-1","agent_id":"a","task_id":"t","execution_time":1,"success":true})" "\n");
  CliRun r0 = run({"import", "--url", url_, base.string()});
  ASSERT_EQ(r0.code, 0) << describe(r0);

  fs::path file = dir_ / "mixed.jsonl";
  write_file(file,
             R"({"execution_id":"k-2","agent_id":"a","task_id":"t","execution_time":2,"success":true})" "\n"
             R"({"execution_id":"k-1","agent_id":"a","task_id":"t","execution_time":99,"success":true})" "\n"
             R"({"execution_id":"k-3","agent_id":"a","task_id":"t","execution_time":"3","success":true})" "\n"
             R"({"execution_id":"k-1","agent_id":"a","task_id":"t","execution_time":1,"success":true})" "\n"
             R"({"execution_id":"k-4","agent_id":"a","task_id":"t","execution_time":4,"success":false})" "\n");
  CliRun r = run({"import", "--url", url_, "--json", file.string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  auto j = parse_json(r);
  EXPECT_EQ(j["imported"], 2);    // k-2, k-4
  EXPECT_EQ(j["duplicates"], 1);  // k-1 as first recorded
  EXPECT_EQ(j["rejected"], 2);
  ASSERT_EQ(j["errors"].size(), 2u) << r.out;
  // Local validation reports line 3 while reading; the server's conflict (line 2) comes
  // when the batch is sent.
  EXPECT_EQ(j["errors"][0]["line"], 3);
  EXPECT_EQ(j["errors"][0]["field"], "execution_time");
  EXPECT_EQ(j["errors"][1]["line"], 2);
  EXPECT_EQ(j["errors"][1]["field"], "execution_id");
}

TEST_F(CliImportServer, RecordThroughTheServer) {
  std::vector<std::string> args = {"record",           "--url",  url_,     "--agent-id", "coder",  "--task-id",
                                   "T-1",              "--execution-time", "2", "--success", "false",
                                   "--execution-id",   "srv-1"};
  CliRun first = run(args);
  ASSERT_EQ(first.code, 0) << describe(first);
  EXPECT_EQ(first.out.rfind("recorded id=", 0), 0u) << describe(first);
  CliRun again = run(args);
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(again.out.rfind("duplicate id=", 0), 0u) << describe(again);
  args.push_back("--json");
  CliRun json = run(args);
  ASSERT_EQ(json.code, 0) << describe(json);
  EXPECT_EQ(parse_json(json)["status"], "duplicate");
}

// `agentlearn rollup`: executions a writer journaled and nobody rolled up are folded into the
// cells; with --downgrade the schema then goes back to version 6 (the release before the
// journal), and any later command upgrades it again with every figure kept.
TEST_F(CliImport, RollupDrainsTheJournalAndDowngrades) {
  const std::string url = db("r.db");
  {
    auto store = open_store(url);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->migrate().ok());
    auto w = (*store)->executions().open_writer();
    ASSERT_TRUE(w.ok());
    std::vector<Execution> rows(5);
    std::vector<const Execution*> ptrs;
    for (size_t i = 0; i < rows.size(); ++i) {
      rows[i].execution_id = "r-" + std::to_string(i);
      rows[i].agent_id = "coder";
      rows[i].task_id = "t";
      rows[i].execution_time = 1.5;
      rows[i].success = i % 2 == 0;
      rows[i].timestamp_us = 1767571200LL * 1'000'000 + static_cast<int64_t>(i);
      rows[i].context_json = rows[i].metrics_json = "{}";
      rows[i].content_hash = "h" + std::to_string(i);
      ptrs.push_back(&rows[i]);
    }
    std::vector<int64_t> ids;
    ASSERT_TRUE((*w)->begin().ok());
    ASSERT_TRUE((*w)->insert(ptrs, 1, ids).ok());
    ASSERT_TRUE((*w)->journal(ids, 1).ok());
    ASSERT_TRUE((*w)->commit().ok());
  }
  CliRun drained = run({"rollup", "--db", url, "--json"});
  ASSERT_EQ(drained.code, 0) << describe(drained);
  auto j = parse_json(drained);
  EXPECT_EQ(j["executions"], 5);
  EXPECT_EQ(j["journal_rows"], 1);
  EXPECT_EQ(j["schema_version"], 7);

  CliRun down = run({"rollup", "--db", url, "--downgrade"});
  ASSERT_EQ(down.code, 0) << describe(down);
  EXPECT_NE(down.out.find("rolled up 0 executions"), std::string::npos) << describe(down);
  EXPECT_NE(down.out.find("the schema is at version 6"), std::string::npos) << describe(down);

  CliRun bad = run({"rollup", "--db", "nosuch:store"});
  EXPECT_EQ(bad.code, 2) << describe(bad);

  // Any command of this release upgrades the store again; the figures are whole.
  auto store = open_store(url);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->migrate().ok());
  auto perf = Analytics((*store)->analytics()).performance({});
  ASSERT_TRUE(perf.ok()) << perf.status().message();
  EXPECT_EQ(perf->total_executions, 5u);
  ASSERT_EQ(perf->agents.size(), 1u);
  EXPECT_EQ(perf->agents[0].successes, 3u);
}

}  // namespace
}  // namespace agentlearn
