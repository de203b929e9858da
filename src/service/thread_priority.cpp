#include "service/thread_priority.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace agentlearn {

bool set_background_priority(const BackgroundPriority& priority) {
  // The nice value is per thread on Linux (setpriority on the thread id, not the process).
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  bool ok = setpriority(PRIO_PROCESS, tid, priority.nice) == 0;
  if (priority.idle_class) {
    sched_param idle{};
    ok = pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) == 0 && ok;
  }
  return ok;
}

}  // namespace agentlearn
