#pragma once
// Test support for the client commands: the real agentlearn binary run to completion as a
// user runs it, with its stdout, stderr and exit code, in a fixture that owns a temp dir.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eventually.hpp"

namespace agentlearn::testing {

std::string slurp(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

// A started subprocess of the agentlearn binary; killed (and reaped) when it goes out of
// scope, whatever the test did.
class CliProcess {
 public:
  CliProcess() = default;
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;
  ~CliProcess() { kill_and_wait(); }

  // `agentlearn ARGS...`; stdout and stderr go to files, stdin comes from `stdin_path`.
  bool start(const std::vector<std::string>& args, const std::filesystem::path& out, const std::filesystem::path& err,
             const std::filesystem::path& stdin_path = "/dev/null");
  // The exit code, or nullopt if it did not end within `timeout` (it is then killed).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  void kill_and_wait();

 private:
  pid_t pid_ = -1;
};

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

// "exit N", stdout and stderr, for failure messages.
std::string describe(const CliRun& run);

// A fixture with a fresh temp dir (removed after the test) that runs the binary in it.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs `agentlearn ARGS...` to completion (at most `timeout`), with `stdin_text` as input.
  CliRun run(const std::vector<std::string>& args, const std::string& stdin_text = {},
             std::chrono::milliseconds timeout = kEventLimit);
  // The run's stdout as JSON (a test failure when it is not).
  static nlohmann::json parse_json(const CliRun& run);
  // "sqlite:<temp dir>/NAME".
  std::string db(const std::string& name) const { return "sqlite:" + (dir_ / name).string(); }

  std::filesystem::path dir_;
};

// The SWE-bench executions of the shared data (AGENTLEARN_SHARED_DATA).
std::filesystem::path swebench_executions();
// RouterDC's 7 LLMs on 13,779 questions, as executions.
std::filesystem::path routerdc_executions();

// A CliTest on the shared data: fails (never skips) when it is missing.
class SwebenchCliTest : public CliTest {
 protected:
  void SetUp() override;
};

}  // namespace agentlearn::testing
