#include "service/thread_priority.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

namespace agentlearn {
namespace {

struct Observed {
  bool applied = false;
  int nice = -100;
  int policy = -1;
  int child_nice = -100;  // of a thread started afterwards
  int child_policy = -1;
};

int own_nice() { return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))); }

// Applies `p` on a fresh thread (the test's own thread keeps its priority), then reads it back
// there and on a thread that thread starts, as the trainer's OpenMP threads are started.
Observed apply_on_a_thread(const BackgroundPriority& p) {
  Observed o;
  std::thread t([&] {
    o.applied = set_background_priority(p);
    o.nice = own_nice();
    o.policy = sched_getscheduler(0);
    std::thread child([&] {
      o.child_nice = own_nice();
      o.child_policy = sched_getscheduler(0);
    });
    child.join();
  });
  t.join();
  return o;
}

TEST(ThreadPriority, NiceIsSetOnTheThreadAndInheritedByTheThreadsItStarts) {
  const int before = own_nice();
  Observed o = apply_on_a_thread({.nice = 7, .idle_class = false});
  ASSERT_TRUE(o.applied);
  EXPECT_EQ(o.nice, 7);
  EXPECT_EQ(o.policy, SCHED_OTHER);  // a share of the CPU, not only what nothing else wants
  EXPECT_EQ(o.child_nice, 7);
  EXPECT_EQ(o.child_policy, SCHED_OTHER);
  EXPECT_EQ(own_nice(), before) << "only the calling thread is changed, not the process";
}

TEST(ThreadPriority, TheIdleClassIsOptIn) {
  Observed o = apply_on_a_thread({.nice = 19, .idle_class = true});
  ASSERT_TRUE(o.applied);
  EXPECT_EQ(o.policy, SCHED_IDLE);
  EXPECT_EQ(o.child_policy, SCHED_IDLE);
  EXPECT_EQ(o.nice, 19);
}

TEST(ThreadPriority, TheDefaultIsANiceValueNotTheIdleClass) {
  BackgroundPriority defaults;
  EXPECT_FALSE(defaults.idle_class);
  EXPECT_GE(defaults.nice, 0);
  EXPECT_LE(defaults.nice, 19);
}

}  // namespace
}  // namespace agentlearn
