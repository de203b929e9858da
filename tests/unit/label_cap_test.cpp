#include "metrics/label_cap.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace agentlearn::metrics {
namespace {

TEST(LabelCap, AdmitsTheFirstValuesThenAnswersOther) {
  LabelCap cap(3);
  EXPECT_EQ(cap.admit("a"), "a");
  EXPECT_EQ(cap.admit("b"), "b");
  EXPECT_EQ(cap.admit("a"), "a");
  EXPECT_EQ(cap.admit("c"), "c");
  EXPECT_EQ(cap.admit("d"), kOtherLabel);
  EXPECT_EQ(cap.admit("b"), "b") << "an admitted value stays admitted";
  EXPECT_EQ(cap.admitted(), 3u);
}

TEST(LabelCap, ConcurrentAdmissionNeverExceedsTheCap) {
  LabelCap cap(50);
  std::vector<std::thread> threads;
  std::vector<std::set<std::string>> seen(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) seen[t].insert(std::string(cap.admit("agent-" + std::to_string(i * 4 + t))));
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& s : seen) all.insert(s.begin(), s.end());
  EXPECT_EQ(cap.admitted(), 50u);
  EXPECT_EQ(all.size(), 51u) << "50 admitted values and other";
  EXPECT_TRUE(all.count("other"));
}

}  // namespace
}  // namespace agentlearn::metrics
