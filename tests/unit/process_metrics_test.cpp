// Process metrics: /proc/<pid>/stat parsed by field position (a command name with spaces and
// parentheses included), /proc/stat's btime, and the live figures against what the kernel
// reports through other calls (getrusage, a file opened, the clock).
#include "metrics/process_metrics.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace agentlearn::metrics {
namespace {

// name -> value of every unlabelled sample in an exposition.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

TEST(ProcessMetrics, ParsesProcStatByFieldPosition) {
  // A real line of /proc/<pid>/stat (proc(5)), with a command name that holds ") (" and spaces.
  const std::string line =
      "4242 (my ) (odd name) S 1 4242 4242 0 -1 4194560 1234 0 5 0 731 152 0 0 20 0 9 0 123456 "
      "987654321 4321 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
  auto s = parse_proc_stat(line);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->utime_ticks, 731u);
  EXPECT_EQ(s->stime_ticks, 152u);
  EXPECT_EQ(s->start_ticks, 123456u);
  EXPECT_EQ(s->vsize_bytes, 987654321u);
  EXPECT_EQ(s->rss_pages, 4321u);
}

TEST(ProcessMetrics, RefusesMalformedProcStat) {
  EXPECT_FALSE(parse_proc_stat("").has_value());
  EXPECT_FALSE(parse_proc_stat("4242 no parentheses S 1 2 3").has_value());
  EXPECT_FALSE(parse_proc_stat("4242 (short) S 1 2 3 4 5\n").has_value()) << "truncated before rss";
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 1 0 0 20 0 1 0 1 1 1\n").has_value())
      << "utime not a number";
}

TEST(ProcessMetrics, ParsesBootTime) {
  EXPECT_EQ(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1764633600\nprocesses 99\n"), 1764633600u);
  EXPECT_FALSE(parse_boot_time("cpu  1 2 3\n").has_value());
  EXPECT_FALSE(parse_boot_time("btime soon\n").has_value());
}

TEST(ProcessMetrics, LiveFiguresMatchTheKernel) {
  Registry registry;
  register_process_metrics(registry);
  const std::string text = registry.expose();
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge\n"), std::string::npos);

  // Burn a little CPU so the figure is not 0, then compare with getrusage (ticks are 10 ms).
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
  auto after = samples(registry.expose());
  rusage ru{};
  ASSERT_EQ(getrusage(RUSAGE_SELF, &ru), 0);
  const double rusage_cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  EXPECT_GT(after["process_cpu_seconds_total"], 0);
  EXPECT_NEAR(after["process_cpu_seconds_total"], rusage_cpu, 0.05);

  // RSS: at least what getrusage says is the peak's order of magnitude, and not above the peak.
  EXPECT_GT(after["process_resident_memory_bytes"], 1 << 20);
  EXPECT_LE(after["process_resident_memory_bytes"], static_cast<double>(ru.ru_maxrss) * 1024 * 1.01);
  EXPECT_GE(after["process_virtual_memory_bytes"], after["process_resident_memory_bytes"]);

  // Started before now, and not long before the test binary's own start (within its run).
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(after["process_start_time_seconds"], now + 1);
  EXPECT_GT(after["process_start_time_seconds"], now - 3600);

  // Opening two files adds exactly two descriptors.
  const double fds = after["process_open_fds"];
  EXPECT_GE(fds, 3);
  int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  EXPECT_EQ(samples(registry.expose())["process_open_fds"], fds + 2);
  close(a);
  close(b);
  EXPECT_EQ(samples(registry.expose())["process_open_fds"], fds);

  rlimit r{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &r), 0);
  EXPECT_EQ(after["process_max_fds"], static_cast<double>(r.rlim_cur));
}

TEST(ProcessMetrics, RegisteringTwiceThrows) {
  Registry registry;
  register_process_metrics(registry);
  EXPECT_THROW(register_process_metrics(registry), std::logic_error);
}

}  // namespace
}  // namespace agentlearn::metrics
