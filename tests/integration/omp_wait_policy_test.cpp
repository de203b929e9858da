// The binary makes OpenMP (XGBoost's training threads) sleep instead of spin: started
// without OMP_WAIT_POLICY it re-executes itself with OMP_WAIT_POLICY=passive before libgomp
// reads it; a policy the user set is kept.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "eventually.hpp"
#include "server_process.hpp"

namespace agentlearn {
namespace {

// Starts `agentlearn serve` with OMP_WAIT_POLICY unset (policy empty) or set, and returns
// the value its running process holds once it serves.
std::string policy_of_server(const std::string& policy) {
  std::string dir = testing::make_temp_dir("agentlearn-omp");
  std::string port = std::to_string(testing::free_port());
  std::string db = "sqlite:" + dir + "/agentlearn.db";
  pid_t pid = fork();
  if (pid == 0) {
    if (policy.empty()) {
      unsetenv("OMP_WAIT_POLICY");
    } else {
      setenv("OMP_WAIT_POLICY", policy.c_str(), 1);
    }
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(AGENTLEARN_BINARY, AGENTLEARN_BINARY, "serve", "--port", port.c_str(), "--db", db.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string found = "<not set>";
  const bool serving = testing::eventually([&] {
    return !testing::raw_http(static_cast<uint16_t>(std::stoi(port)),
                              "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .empty() ||
           waitpid(pid, nullptr, WNOHANG) == pid;  // exited early: nothing to wait for
  });
  if (serving) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t at = env.find("OMP_WAIT_POLICY=");
    if (at != std::string::npos && (at == 0 || env[at - 1] == '\0')) {
      found = env.substr(at + 16, env.find('\0', at) - at - 16);
    }
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  return found;
}

TEST(OmpWaitPolicy, ServerWithoutAPolicyRunsPassive) { EXPECT_EQ(policy_of_server(""), "passive"); }

TEST(OmpWaitPolicy, APolicyTheUserSetIsKept) { EXPECT_EQ(policy_of_server("active"), "active"); }

}  // namespace
}  // namespace agentlearn
