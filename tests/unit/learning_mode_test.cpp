// ModeSwitch: the learning mode and exploration rate kept in the store's settings, so that a
// restart and every replica agree; validated before anything is stored.
#include "service/learning_mode.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fake_stores.hpp"

namespace agentlearn {
namespace {

using testing::FakeSettingStore;

TEST(LearningMode, NamesRoundTrip) {
  for (LearningMode m : {LearningMode::kRules, LearningMode::kApprentice, LearningMode::kOnline, LearningMode::kExploit}) {
    EXPECT_EQ(parse_mode(mode_name(m)), m);
  }
  EXPECT_FALSE(parse_mode("Online"));
  EXPECT_FALSE(parse_mode(""));
}

TEST(ModeSwitch, UnsetModeIsOnlineWithModelsAndRulesWithout) {
  FakeSettingStore store;
  ModeSwitch modes(store, 0.05);
  ASSERT_TRUE(modes.load().ok());
  ModeSetting s = modes.get();
  EXPECT_FALSE(s.mode);
  EXPECT_DOUBLE_EQ(s.exploration_rate, 0.05);
  EXPECT_EQ(s.effective(true), LearningMode::kOnline);
  EXPECT_EQ(s.effective(false), LearningMode::kRules);
}

TEST(ModeSwitch, ASetModeIsStoredAndAnotherProcessLoadsIt) {
  FakeSettingStore store;
  ModeSwitch modes(store, 0.05);
  auto set = modes.set(LearningMode::kExploit, 0.2);
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->mode, LearningMode::kExploit);
  EXPECT_EQ(modes.get().effective(false), LearningMode::kExploit);  // a set mode holds without models

  ModeSwitch replica(store, 0.05);  // a restart, or another replica on the same store
  ASSERT_TRUE(replica.load().ok());
  EXPECT_EQ(replica.get().mode, LearningMode::kExploit);
  EXPECT_DOUBLE_EQ(replica.get().exploration_rate, 0.2);

  // Setting only the rate keeps the mode.
  ASSERT_TRUE(modes.set(std::nullopt, 0.5).ok());
  ModeSwitch again(store, 0.05);
  ASSERT_TRUE(again.load().ok());
  EXPECT_EQ(again.get().mode, LearningMode::kExploit);
  EXPECT_DOUBLE_EQ(again.get().exploration_rate, 0.5);
}

TEST(ModeSwitch, ABadRateIsRefusedNamingTheFieldAndNothingIsStored) {
  FakeSettingStore store;
  ModeSwitch modes(store, 0.05);
  for (double bad : {-0.01, 1.01, std::numeric_limits<double>::infinity(), std::nan("")}) {
    auto r = modes.set(LearningMode::kOnline, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().field(), "exploration_rate");
  }
  EXPECT_EQ(store.puts, 0);
  EXPECT_FALSE(modes.get().mode) << "a refused change must not apply the mode either";
  EXPECT_TRUE(modes.set(LearningMode::kOnline, 0).ok());
  EXPECT_TRUE(modes.set(LearningMode::kOnline, 1).ok());
}

TEST(ModeSwitch, AStoreThatIsDownChangesNothing) {
  FakeSettingStore store;
  ModeSwitch modes(store, 0.05);
  ASSERT_TRUE(modes.set(LearningMode::kApprentice, 0.1).ok());
  store.down = true;
  auto r = modes.set(LearningMode::kExploit, 0.3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  // Not applied in memory either: this process and the others keep agreeing.
  EXPECT_EQ(modes.get().mode, LearningMode::kApprentice);
  EXPECT_DOUBLE_EQ(modes.get().exploration_rate, 0.1);
  EXPECT_EQ(modes.load().code(), StatusCode::kUnavailable);
  EXPECT_EQ(modes.get().mode, LearningMode::kApprentice);
}

TEST(ModeSwitch, AStoredValueThatIsNotAnObjectIsAnErrorNotACrash) {
  FakeSettingStore store;
  store.values["learning_mode"] = "not json";
  ModeSwitch modes(store, 0.05);
  EXPECT_EQ(modes.load().code(), StatusCode::kInternal);
  EXPECT_FALSE(modes.get().mode);
  // An unknown mode name in an object leaves the mode unset.
  store.values["learning_mode"] = R"({"mode":"turbo","exploration_rate":0.3})";
  ASSERT_TRUE(modes.load().ok());
  EXPECT_FALSE(modes.get().mode);
  EXPECT_DOUBLE_EQ(modes.get().exploration_rate, 0.3);
}

}  // namespace
}  // namespace agentlearn
