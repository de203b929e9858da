// The exception boundary and the exactly-once answer (http/handler.hpp, and the server's one
// conversion): run_on and guarded turn an exception into a logged 500, and a handler that
// throws after it answered, or after it handed work to a pool, still answers exactly once on
// a connection that keeps serving.
#include "http/handler.hpp"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <string>

#include "route_server.hpp"

namespace agentlearn::http {
namespace {

using testing::json_of;

TEST(Guarded, AReplyPassesThroughAndAnExceptionBecomesA500) {
  Request req{beast_http::verb::get, "/x", 11};
  RequestContext ctx{req, "/x", {}, {}, "rid", "/x"};
  Reply ok = guarded(ctx, [&]() -> Reply { return json_response(200, "{}", req); });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.response().result_int(), 200u);

  Reply failed = guarded(ctx, []() -> Reply { throw std::logic_error("bug"); });
  ASSERT_FALSE(failed.ok());
  Response res = to_response(std::move(failed), req, ctx.request_id);
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_EQ(res.body(), R"({"error":{"code":"internal","message":"internal error","request_id":"rid"}})");
}

TEST(RunOn, AnExceptionOnThePoolCompletesOnceWithA500) {
  boost::asio::thread_pool pool(1);
  Request req{beast_http::verb::get, "/x", 11};
  RequestContext ctx{req, "/x", {}, {}, "rid", "/x"};
  std::promise<Response> answered;
  int calls = 0;
  run_on(pool, ctx,
         [&](Reply reply) {
           ++calls;
           answered.set_value(to_response(std::move(reply), req, ctx.request_id));
         },
         []() -> Reply { throw std::runtime_error("bug on the pool"); });
  Response res = answered.get_future().get();
  pool.join();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(res.result_int(), 500u);
}

class HandlerBoundary : public ::testing::Test {
 protected:
  void SetUp() override {
    Router r;
    r.add(beast_http::verb::get, "/ok", [](RequestContext& ctx) -> Reply { return json_response(200, "{}", ctx.request); });
    // Answers, then throws: the answer stands, the fault is logged.
    r.add_async(beast_http::verb::get, "/answer-then-throw", [](RequestContext& ctx, Complete done) {
      done(json_response(200, R"({"first":true})", ctx.request));
      throw std::runtime_error("thrown after answering");
    });
    // Hands work to the pool, then throws: the 500 goes out at once; the work's late answer
    // (once the test opens the gate) is dropped.
    r.add_async(beast_http::verb::get, "/hand-off-then-throw", [this](RequestContext& ctx, Complete done) {
      run_on(server.blocking, ctx, std::move(done), [this, &ctx]() -> Reply {
        gate_.wait();
        return json_response(200, R"({"late":true})", ctx.request);
      });
      throw std::runtime_error("thrown after handing off");
    });
    server.start(std::move(r));
  }
  void TearDown() override {
    open_gate();  // a failed test must not leave the pool's work waiting
    server.stop();
  }

  void open_gate() {
    if (!gate_opened_) open_.set_value();
    gate_opened_ = true;
  }

  // Waits until everything queued on the (one-thread) blocking pool so far has run.
  void drain_blocking_pool() {
    std::promise<void> drained;
    boost::asio::post(server.blocking, [&] { drained.set_value(); });
    drained.get_future().wait();
  }

  testing::RouteServer server;
  std::promise<void> open_;
  bool gate_opened_ = false;
  std::shared_future<void> gate_ = open_.get_future().share();
};

TEST_F(HandlerBoundary, AnExceptionAfterAnsweringKeepsTheAnswer) {
  ClientResponse res = server.get("/answer-then-throw");
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"first":true})");
  // Both lines are logged after the answer went out: wait for them.
  EXPECT_EQ(server.log().await_lines_with({res.request_id, "/answer-then-throw", "thrown after answering"}).size(), 1u);
  EXPECT_EQ(server.log().await_lines_with({res.request_id, "second answer was dropped"}).size(), 1u);
  ClientResponse next = server.get("/ok");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "{}");
}

TEST_F(HandlerBoundary, AnExceptionAfterHandingOffAnswers500OnceAndDropsTheLateAnswer) {
  ClientResponse res = server.get("/hand-off-then-throw");
  EXPECT_EQ(res.status, 500) << res.body;
  EXPECT_EQ(json_of(res)["error"]["request_id"], res.request_id);
  EXPECT_EQ(server.log().await_lines_with({res.request_id, "/hand-off-then-throw", "thrown after handing off"}).size(), 1u);
  open_gate();
  drain_blocking_pool();
  EXPECT_EQ(server.log().await_lines_with({res.request_id, "second answer was dropped"}).size(), 1u);
  // The connection's next request gets its own answer, not the late one.
  ClientResponse next = server.get("/ok");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "{}");
}

}  // namespace
}  // namespace agentlearn::http
