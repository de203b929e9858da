#include "metrics/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace agentlearn::metrics {
namespace {

std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<uint64_t> to_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

double nan() { return std::nan(""); }

std::optional<ProcStat> self_stat() {
  auto text = read_file("/proc/self/stat");
  return text ? parse_proc_stat(*text) : std::nullopt;
}

double clock_ticks() {
  const long t = sysconf(_SC_CLK_TCK);
  return t > 0 ? static_cast<double>(t) : nan();
}

// Entries of /proc/self/fd, less the one opendir itself holds while counting.
double open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return nan();
  double n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // Fields after the name, numbered as proc(5) numbers them: 3 is the state.
  ProcStat s;
  int field = 3;
  size_t i = 0;
  while (i < rest.size() && field <= 24) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n')) ++i;
    size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
    if (j == i) break;
    const std::string_view token = rest.substr(i, j - i);
    uint64_t* target = field == 14   ? &s.utime_ticks
                       : field == 15 ? &s.stime_ticks
                       : field == 22 ? &s.start_ticks
                       : field == 23 ? &s.vsize_bytes
                       : field == 24 ? &s.rss_pages
                                     : nullptr;
    if (target != nullptr) {
      auto v = to_u64(token);
      if (!v) return std::nullopt;
      *target = *v;
    }
    ++field;
    i = j;
  }
  if (field <= 24) return std::nullopt;  // truncated
  return s;
}

std::optional<uint64_t> parse_boot_time(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.starts_with("btime ")) return to_u64(line.substr(6));
    pos = end + 1;
  }
  return std::nullopt;
}

void register_process_metrics(Registry& registry) {
  registry.counter_callback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", [] {
    auto s = self_stat();
    return s ? static_cast<double>(s->utime_ticks + s->stime_ticks) / clock_ticks() : nan();
  });
  registry.gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes", [] {
    auto s = self_stat();
    const long page = sysconf(_SC_PAGESIZE);
    return s && page > 0 ? static_cast<double>(s->rss_pages) * static_cast<double>(page) : nan();
  });
  registry.gauge_callback("process_virtual_memory_bytes", "Virtual memory size in bytes", [] {
    auto s = self_stat();
    return s ? static_cast<double>(s->vsize_bytes) : nan();
  });
  // Fixed for the life of the process: computed once.
  double start = nan();
  if (auto s = self_stat()) {
    auto text = read_file("/proc/stat");
    if (auto boot = text ? parse_boot_time(*text) : std::nullopt) {
      start = static_cast<double>(*boot) + static_cast<double>(s->start_ticks) / clock_ticks();
    }
  }
  registry.gauge_callback("process_start_time_seconds", "Start time of the process since unix epoch in seconds",
                          [start] { return start; });
  registry.gauge_callback("process_open_fds", "Number of open file descriptors", [] { return open_fds(); });
  registry.gauge_callback("process_max_fds", "Maximum number of open file descriptors", [] {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return nan();
    return r.rlim_cur == RLIM_INFINITY ? HUGE_VAL : static_cast<double>(r.rlim_cur);
  });
}

}  // namespace agentlearn::metrics
