#include "server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace agentlearn::testing {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  char* dir = ::mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

std::string fresh_postgres_database() {
  const char* admin_url = std::getenv("AGENTLEARN_TEST_PG_URL");
  if (!admin_url || !*admin_url) {
    ADD_FAILURE() << "AGENTLEARN_TEST_PG_URL is not set: run scripts/test, which starts a PostgreSQL "
                     "server, or start one with scripts/start-postgres and export its URL";
    return "";
  }
  static std::atomic<int> counter{0};
  std::random_device rd;
  const std::string name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                           std::to_string(rd() % 100000);
  PGconn* conn = PQconnectdb(admin_url);
  if (PQstatus(conn) != CONNECTION_OK) {
    ADD_FAILURE() << "cannot connect to " << admin_url << ": " << PQerrorMessage(conn);
    PQfinish(conn);
    return "";
  }
  PGresult* res = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  if (!ok) ADD_FAILURE() << "CREATE DATABASE failed: " << PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!ok) return "";
  std::string url = admin_url;
  const size_t slash = url.rfind('/');
  const size_t query = url.find('?', slash);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

std::string fresh_store_url(const std::string& backend) {
  if (backend == "postgresql") return fresh_postgres_database();
  if (backend == "pglite") {
    if (std::string error = reset_pglite_database(); !error.empty()) {
      ADD_FAILURE() << error;
      return "";
    }
    return pglite_url();
  }
  return "sqlite:" + make_temp_dir("agentlearn-test") + "/agentlearn.db";
}

std::string pglite_url() {
  const char* url = std::getenv("AGENTLEARN_TEST_PGLITE_URL");
  return url != nullptr ? url : "";
}

std::string reset_pglite_database() {
  const std::string url = pglite_url();
  if (url.empty()) {
    return "AGENTLEARN_TEST_PGLITE_URL is not set: run scripts/test, which starts PGlite, or start "
           "one with `scripts/start-pglite start DIR` and export its URL";
  }
  static int lock_fd = -1;  // held until the process exits
  if (lock_fd < 0) {
    std::string path = "/tmp/agentlearn-pglite-";
    for (char c : url) path += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    path += ".lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return "cannot open " + path;
    // Another test process may hold the server for a while (its whole test): wait up to 5 min.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::close(fd);
        return "another process has held the PGlite server for 5 minutes (lock " + path + ")";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    lock_fd = fd;
  }
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) error = "cannot connect to " + url + ": " + PQerrorMessage(conn);
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);  // "drop cascades to ..."
  // One by one: DISCARD ALL may not run in the implicit transaction of a multi-statement query.
  for (const char* sql : {"DISCARD ALL", "DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public"}) {
    if (!error.empty()) break;
    PGresult* res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) error = std::string(sql) + ": " + PQerrorMessage(conn);
    PQclear(res);
  }
  PQfinish(conn);
  return error;
}

ServerProcess::ServerProcess(const std::string& db, std::vector<std::string> args,
                             std::map<std::string, std::string> env) {
  port_ = free_port();
  log_path_ = make_temp_dir("agentlearn-server") + "/server.log";
  std::vector<std::string> argv_s = {AGENTLEARN_BINARY, "serve", "--port", std::to_string(port_), "--db", db};
  for (auto& a : args) argv_s.push_back(a);
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) kill9();
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

bool ServerProcess::wait_ready(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return false;
    std::string r = raw_http(port_, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                             std::chrono::milliseconds(1000));
    if (r.rfind("HTTP/1.1 ", 0) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void ServerProcess::pause_process() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void ServerProcess::resume_process() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

int ServerProcess::terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int code = wait_exit(kEventLimit);
  if (code == -1) kill9();
  return code;
}

int ServerProcess::wait_exit(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
    int status;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string raw_http(uint16_t port, const std::string& request, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t sent = 0;
  std::string out;
  char buf[65536];
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, static_cast<short>(POLLIN | (sent < request.size() ? POLLOUT : 0)), 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
    if (p.revents & POLLIN) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    if ((p.revents & POLLOUT) && sent < request.size()) {
      ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) sent = request.size();  // the server closed on us: stop sending
      if (n > 0) sent += static_cast<size_t>(n);
    }
    if (p.revents & (POLLHUP | POLLERR)) {
      if (!(p.revents & POLLIN)) break;
    }
  }
  ::close(fd);
  return out;
}

}  // namespace agentlearn::testing
