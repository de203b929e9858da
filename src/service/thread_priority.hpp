#pragma once
// Background work (training, embedding) must neither slow serving down much nor stall when
// serving keeps the cores busy. The kernel's fair scheduler gives a thread a share of a busy
// core in proportion to its weight (nice 0: 1024, nice 5: 335, nice 10: 110, nice 19: 15),
// so a nice value is a guaranteed share, and the number of threads bounds it. The idle
// scheduling class (SCHED_IDLE) instead gives no share at all while anything else wants the
// core: a trainer in it never finished while another process kept both cores busy.
// docs/operations.md has the measured trade-off behind the defaults.

namespace agentlearn {

struct BackgroundPriority {
  // The nice value of background threads (0..19): their share of a core other threads want.
  int nice = 5;
  // SCHED_IDLE instead: only CPU time nothing else wants (serving always first; under
  // sustained load from anything, background work waits).
  bool idle_class = false;
};

// Applies `priority` to the calling thread; threads it starts afterwards (OpenMP's among them)
// inherit it. False when the kernel refused (the thread keeps its priority).
bool set_background_priority(const BackgroundPriority& priority);

}  // namespace agentlearn
