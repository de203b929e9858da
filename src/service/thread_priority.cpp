#include "service/thread_priority.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace agentlearn {

bool lower_thread_priority(int fallback_nice) {
  sched_param idle{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) == 0) return true;
  return setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), fallback_nice) == 0;
}

}  // namespace agentlearn
