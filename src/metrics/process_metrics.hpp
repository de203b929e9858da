#pragma once
// The process's own figures, read from /proc at each scrape under the names every Prometheus
// client library uses (so dashboards and alerts written for other services work unchanged):
//
//   process_cpu_seconds_total       user + system CPU time (counter)
//   process_resident_memory_bytes   resident set size
//   process_virtual_memory_bytes    virtual memory size
//   process_start_time_seconds      start time, Unix seconds
//   process_open_fds                open file descriptors
//   process_max_fds                 the open-files limit (RLIMIT_NOFILE soft limit)
//
// A figure /proc cannot give (not Linux, /proc not mounted) is NaN in that scrape.
#include <cstdint>
#include <optional>
#include <string_view>

#include "metrics/registry.hpp"

namespace agentlearn::metrics {

// What /proc/<pid>/stat says, in its own units (clock ticks, pages, bytes).
struct ProcStat {
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t start_ticks = 0;  // after boot
  uint64_t vsize_bytes = 0;
  uint64_t rss_pages = 0;
};

// Parses the one line of /proc/<pid>/stat. The command name (field 2) is in parentheses and
// may itself hold spaces and parentheses, so fields are counted from the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text);
// The `btime` line of /proc/stat: boot time in Unix seconds.
std::optional<uint64_t> parse_boot_time(std::string_view proc_stat_text);

// Registers the figures above on `registry` (once per registry; again throws std::logic_error).
void register_process_metrics(Registry& registry);

}  // namespace agentlearn::metrics
