// The analytics rollup's leader among replicas on one PostgreSQL, with real server processes:
// one leader at a time runs the rounds; another replica takes over when the leader is killed
// (kill -9) and when it is stopped (SIGSTOP: its kernel still answers TCP, so only the
// server's idle-session timeout on the leader's session frees the lock); the stopped one,
// resumed, finds it lost the lead. Nothing is counted twice: every answer's total equals the
// executions recorded, with nothing pending.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "http/client.hpp"
#include "server_process.hpp"

namespace agentlearn {
namespace {

using boost::beast::http::verb;
using json = nlohmann::json;
using testing::eventually;
using testing::ServerProcess;

json get_json(const ServerProcess& s, const std::string& target) {
  HttpClient c(s.url());
  auto r = c.request(verb::get, target);
  if (!r.ok() || r->status != 200) return json::object();
  return json::parse(r->body, nullptr, false);
}

json rollup(const ServerProcess& s) { return get_json(s, "/health").value("analytics_rollup", json::object()); }

void record(const ServerProcess& s, int n) {
  HttpClient c(s.url());
  const std::string body = R"({"agent_id":"coder","task_id":"t-)" + std::to_string(n) +
                           R"(","execution_id":"leader-)" + std::to_string(n) +
                           R"(","execution_time":2.5,"success":true,"task_type":"debugging"})";
  auto r = c.request(verb::post, "/agent/performance", body);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->status, 201) << r->body;
}

// Every record counted once, nothing pending (answers add pending rows, so a row folded
// twice would show as one more).
bool all_rolled_up_once(const ServerProcess& s, int recorded) {
  return rollup(s).value("pending_executions", -1) == 0 &&
         get_json(s, "/agents/performance").value("total_executions", -1) == recorded;
}

TEST(RollupLeader, AnotherReplicaTakesOverWhenTheLeaderDiesOrStops) {
  const std::string db = testing::fresh_postgres_database();
  ASSERT_FALSE(db.empty());
  const std::string dir = testing::make_temp_dir("agentlearn-leader");
  std::ofstream(dir + "/fast.yaml") << "rollup_interval_ms: 100\n";
  const std::vector<std::string> args = {"--config", dir + "/fast.yaml"};

  ServerProcess a(db, args);
  ASSERT_TRUE(a.wait_ready()) << a.log();
  ASSERT_TRUE(eventually([&] { return rollup(a).value("leader", false); })) << a.log();
  ServerProcess b(db, args);
  ASSERT_TRUE(b.wait_ready()) << b.log();
  ASSERT_TRUE(eventually([&] { return rollup(b).value("running", false); })) << b.log();

  // A leads: what B records, A rolls up.
  record(b, 1);
  ASSERT_TRUE(eventually([&] { return rollup(a).value("executions_rolled_up", 0) == 1; })) << rollup(a).dump();
  EXPECT_EQ(rollup(b).value("leader", true), false);
  EXPECT_EQ(rollup(b).value("executions_rolled_up", -1), 0);
  ASSERT_TRUE(eventually([&] { return all_rolled_up_once(b, 1); })) << rollup(b).dump();

  // A dies: B takes over.
  a.kill9();
  ASSERT_TRUE(eventually([&] { return rollup(b).value("leader", false); })) << b.log();
  record(b, 2);
  ASSERT_TRUE(eventually([&] { return rollup(b).value("executions_rolled_up", 0) == 1; })) << rollup(b).dump();
  ASSERT_TRUE(eventually([&] { return all_rolled_up_once(b, 2); })) << rollup(b).dump();

  // B stops without dying: C, started beside it, takes over once the server ends B's
  // silent session.
  ServerProcess c(db, args);
  ASSERT_TRUE(c.wait_ready()) << c.log();
  ASSERT_TRUE(eventually([&] { return rollup(c).value("running", false); })) << c.log();
  EXPECT_EQ(rollup(c).value("leader", true), false) << "B still leads";
  b.pause_process();
  record(c, 3);
  ASSERT_TRUE(eventually([&] { return rollup(c).value("leader", false); })) << c.log();
  ASSERT_TRUE(eventually([&] { return rollup(c).value("executions_rolled_up", 0) == 1; })) << rollup(c).dump();
  ASSERT_TRUE(eventually([&] { return all_rolled_up_once(c, 3); })) << rollup(c).dump();

  // B resumes: its session is gone, and with it the lead.
  b.resume_process();
  ASSERT_TRUE(eventually([&] { return !rollup(b).value("leader", true); })) << b.log();
  record(b, 4);
  ASSERT_TRUE(eventually([&] { return rollup(c).value("executions_rolled_up", 0) == 2; })) << rollup(c).dump();
  ASSERT_TRUE(eventually([&] { return all_rolled_up_once(c, 4) && all_rolled_up_once(b, 4); })) << rollup(c).dump();
  EXPECT_EQ(rollup(b).value("executions_rolled_up", -1), 1) << "B folded only what it folded while leading";
}

}  // namespace
}  // namespace agentlearn
