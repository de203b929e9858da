#pragma once
// Background work (training, embedding) runs only on CPU time serving does not want
// (design.md, "Threads").

namespace agentlearn {

// Puts the calling thread in the idle scheduling class (SCHED_IDLE; threads it starts
// afterwards inherit it), or at `fallback_nice` where that is refused. False when neither
// could be set.
bool lower_thread_priority(int fallback_nice);

}  // namespace agentlearn
