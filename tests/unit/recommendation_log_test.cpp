// RecommendationLog: answered recommendations written off the request path, in one
// transaction per flush, bounded when the store cannot keep up.
#include "service/recommendation_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "fake_stores.hpp"
#include "metrics/registry.hpp"

namespace agentlearn {
namespace {

using testing::FakeRecommendationLogStore;

RecommendationLogRow row(int i) {
  RecommendationLogRow r;
  r.recommendation_id = "rec-" + std::to_string(i);
  r.chosen_agent = "a";
  return r;
}

// The value of an unlabelled counter in the registry's exposition ("" when absent).
std::string counter(const metrics::Registry& registry, const std::string& name) {
  const std::string text = registry.expose();
  size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return "";
  size_t start = at + name.size() + 2;
  return text.substr(start, text.find('\n', start) - start);
}

// A flush interval no test waits for: rows are written by flush() and the destructor.
constexpr std::chrono::hours kNever{24};

TEST(RecommendationLog, QueuedRowsAreWrittenInOneCallPerFlush) {
  FakeRecommendationLogStore store;
  metrics::Registry registry;
  RecommendationLog log(store, registry, kNever);
  for (int i = 0; i < 5; ++i) log.add(row(i));
  EXPECT_TRUE(store.logged.empty()) << "adding must not write (the request does not wait)";
  log.flush();
  ASSERT_EQ(store.logged.size(), 5u);
  EXPECT_EQ(store.calls, 1);
  EXPECT_EQ(store.logged.front().recommendation_id, "rec-0");
  EXPECT_EQ(store.logged.back().recommendation_id, "rec-4");
  log.flush();  // nothing queued: no empty transaction
  EXPECT_EQ(store.calls, 1);
  EXPECT_EQ(counter(registry, "recommendation_log_written_total"), "5");
}

TEST(RecommendationLog, TheDestructorWritesWhatIsQueued) {
  FakeRecommendationLogStore store;
  metrics::Registry registry;
  {
    RecommendationLog log(store, registry, kNever);
    log.add(row(1));
    log.add(row(2));
  }
  EXPECT_EQ(store.logged.size(), 2u);
}

TEST(RecommendationLog, PastItsCapacityTheOldestRowsAreDroppedAndCounted) {
  FakeRecommendationLogStore store;
  metrics::Registry registry;
  RecommendationLog log(store, registry, kNever, 3);
  for (int i = 0; i < 5; ++i) log.add(row(i));
  log.flush();
  ASSERT_EQ(store.logged.size(), 3u);
  EXPECT_EQ(store.logged.front().recommendation_id, "rec-2");
  EXPECT_EQ(counter(registry, "recommendation_log_dropped_total"), "2");
}

TEST(RecommendationLog, AStoreThatIsDownLosesTheBatchAndSaysSoButDoesNotStopTheLog) {
  FakeRecommendationLogStore store;
  metrics::Registry registry;
  RecommendationLog log(store, registry, kNever);
  store.down = true;
  log.add(row(1));
  log.add(row(2));
  log.flush();
  EXPECT_EQ(counter(registry, "recommendation_log_dropped_total"), "2");
  store.down = false;
  log.add(row(3));
  log.flush();
  ASSERT_EQ(store.logged.size(), 1u);
  EXPECT_EQ(store.logged.front().recommendation_id, "rec-3");
}

TEST(RecommendationLog, TheBackgroundThreadFlushesOnItsOwn) {
  FakeRecommendationLogStore store;
  metrics::Registry registry;
  RecommendationLog log(store, registry, std::chrono::milliseconds(1));
  log.add(row(1));
  // Waits for the event (the row written), not for a guessed duration; the deadline only
  // turns a thread that never flushes into a failure instead of a hang.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (counter(registry, "recommendation_log_written_total") != "1" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(counter(registry, "recommendation_log_written_total"), "1") << "the thread never flushed";
}

}  // namespace
}  // namespace agentlearn
