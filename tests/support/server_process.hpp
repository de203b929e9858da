#pragma once
// Test support for integration tests: the real agentlearn binary as a subprocess on a free
// loopback port, a fresh PostgreSQL database per test, and raw HTTP over a socket.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "eventually.hpp"

namespace agentlearn::testing {

// A loopback port nobody listens on right now.
uint16_t free_port();

// A new empty directory under /tmp, removed by the caller (or left for post-mortems).
std::string make_temp_dir(const std::string& prefix);

// A new, empty PostgreSQL database on the test server (AGENTLEARN_TEST_PG_URL) and its URL.
// Fails the current test (and returns "") when the variable is not set: never skips.
std::string fresh_postgres_database();

// "sqlite:<tmpdir>/agentlearn.db", a fresh PostgreSQL database, or "pglite": the PGlite
// server emptied and held by this process (reset_pglite_database()).
std::string fresh_store_url(const std::string& backend);

// The PGlite test server (AGENTLEARN_TEST_PGLITE_URL, started by scripts/start-pglite), or ""
// when the variable is not set. PGlite tests then fail, never skip, as PostgreSQL tests do:
// it is the only pgvector there is to test with on Debian 12, and scripts/test always starts it.
std::string pglite_url();

// PGlite is ONE PostgreSQL session with one database, shared by every connection: CREATE
// DATABASE succeeds but connecting to it silently lands in `postgres` again, and startup
// options (search_path, application_name) are ignored. So a test gets PGlite to itself instead:
// this takes an exclusive lock on the server for the rest of this process (ctest runs each
// test in its own process; taken again it returns at once) and empties it: DISCARD ALL (the
// session's prepared statements, settings, temporary tables) and the public schema dropped
// and created again. Returns "" or an error text.
std::string reset_pglite_database();

class ServerProcess {
 public:
  // Starts `agentlearn serve --port P --db DB ARGS...`; `env` adds environment variables.
  ServerProcess(const std::string& db, std::vector<std::string> args = {},
                std::map<std::string, std::string> env = {});
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Waits until GET /health answers (any status); false on timeout or early exit.
  bool wait_ready(std::chrono::seconds timeout = kEventLimit);
  void kill9();
  // SIGSTOP and SIGCONT: a process that stops answering without dying (its kernel still
  // answers TCP for it).
  void pause_process();
  void resume_process();
  // SIGTERM and wait (as long as kEventLimit); returns the exit status (or -1).
  int terminate();
  // Waits for the process to exit by itself; the exit code, or -1 on timeout.
  int wait_exit(std::chrono::seconds timeout);
  bool running();

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const;  // what the server printed

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

// Sends `request` bytes to 127.0.0.1:port and returns everything read until the server
// closes or `timeout` passes (then whatever arrived).
std::string raw_http(uint16_t port, const std::string& request,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace agentlearn::testing
