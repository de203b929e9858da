#include "cli_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace agentlearn::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

bool CliProcess::start(const std::vector<std::string>& args, const fs::path& out, const fs::path& err,
                       const fs::path& stdin_path) {
  std::vector<char*> argv;
  std::string bin = AGENTLEARN_BINARY;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int rc = posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) pid_ = -1;
  return rc == 0;
}

std::optional<int> CliProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill_and_wait();
      return std::nullopt;
    }
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

bool CliProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void CliProcess::kill_and_wait() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 300; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string describe(const CliRun& r) {
  return "exit " + std::to_string(r.code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

void CliTest::SetUp() {
  ASSERT_TRUE(fs::exists(AGENTLEARN_BINARY)) << AGENTLEARN_BINARY;
  std::string tmpl = (fs::temp_directory_path() / "agentlearn-cli-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
}

void CliTest::TearDown() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

CliRun CliTest::run(const std::vector<std::string>& args, const std::string& stdin_text,
                    std::chrono::milliseconds timeout) {
  fs::path in = "/dev/null";
  if (!stdin_text.empty()) {
    in = dir_ / "stdin.txt";
    write_file(in, stdin_text);
  }
  CliProcess p;
  CliRun r;
  if (!p.start(args, dir_ / "out.txt", dir_ / "err.txt", in)) {
    ADD_FAILURE() << "could not start " << AGENTLEARN_BINARY;
    return r;
  }
  auto code = p.wait(timeout);
  r.out = slurp(dir_ / "out.txt");
  r.err = slurp(dir_ / "err.txt");
  if (!code) {
    ADD_FAILURE() << "timed out: agentlearn " << ::testing::PrintToString(args) << "\n" << r.err;
    return r;
  }
  r.code = *code;
  return r;
}

nlohmann::json CliTest::parse_json(const CliRun& r) {
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out << "\nstderr: " << r.err;
  return j;
}

fs::path swebench_executions() {
  return fs::path(AGENTLEARN_SHARED_DATA) / "swebench-verified" / "executions.jsonl";
}

fs::path routerdc_executions() {
  return fs::path(AGENTLEARN_SHARED_DATA) / "routerdc-7models" / "executions.jsonl";
}

void SwebenchCliTest::SetUp() {
  CliTest::SetUp();
  if (HasFatalFailure()) return;
  // The shared data belongs to the project: missing is a failure, never a skip.
  for (const fs::path& data : {swebench_executions(), routerdc_executions()}) {
    ASSERT_TRUE(fs::exists(data)) << data << " is missing (AGENTLEARN_SHARED_DATA)";
  }
}

}  // namespace agentlearn::testing
