#pragma once
// The HTTP server: Boost.Beast over an Asio io_context run by N threads. It owns the
// cross-cutting concerns (request ids, body limits, auth, CORS, metrics, the JSON error
// shape for transport errors); routes hold only translation between HTTP and the service.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/status.hpp"
#include "http/auth.hpp"
#include "http/request_head.hpp"
#include "http/router.hpp"
#include "metrics/registry.hpp"

namespace agentlearn::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                       // 0: pick a free port (see Server::port())
  int threads = 0;                            // 0: hardware threads - 1 (at least 1)
  size_t body_limit = 1 << 20;                // per request, unless a route says otherwise
  TokenSet tokens;
  bool public_metrics = false;                // GET /metrics without a token
  std::vector<std::string> cors_origins;      // "*" allows any origin; empty: CORS off
  // Host names answered besides localhost and IP literals ("*": any). Enforced when there
  // are no tokens, or when set (http/request_head.hpp); also the origins a state change may
  // come from.
  std::vector<std::string> allowed_hosts;
  std::chrono::seconds idle_timeout{60};      // a keep-alive connection idle this long is closed
  bool access_log = false;                    // one log line per request (debug aid; costs speed)
};

class Server {
 public:
  Server(ServerOptions options, Router router, metrics::Registry& registry);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; an error if the address is taken or invalid.
  Status start();
  // Serves on the calling thread plus threads-1 others until stop().
  void run();
  // Stops accepting and ends run(); safe from any thread and from a signal-handling thread.
  void stop();
  uint16_t port() const { return bound_port_; }
  // Runs `fn` on one of the server's I/O threads (work that ends in sending responses).
  void post(std::function<void()> fn);

  class Impl;  // public so that the connection code in server.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t bound_port_ = 0;
};

}  // namespace agentlearn::http
