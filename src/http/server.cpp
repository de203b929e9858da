#include "http/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>
#include <random>
#include <unordered_map>

#include "http/errors.hpp"
#include "http/handler.hpp"

namespace agentlearn::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr const char* kRequestIdHeader = "X-Request-Id";

// A client may choose its own request id (to trace a call end to end); anything else gets one.
bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

// The method label: the methods HTTP defines, anything else "other", so a client inventing
// methods cannot grow the metrics.
std::string_view method_label(beast_http::verb v) {
  using beast_http::verb;
  switch (v) {
    case verb::get: return "GET";
    case verb::head: return "HEAD";
    case verb::post: return "POST";
    case verb::put: return "PUT";
    case verb::delete_: return "DELETE";
    case verb::connect: return "CONNECT";
    case verb::options: return "OPTIONS";
    case verb::trace: return "TRACE";
    case verb::patch: return "PATCH";
    default: return "other";
  }
}

// The header a parse error of the request head is about, when it is one of the framing
// headers (the client should know which to fix).
std::string framing_field(beast::error_code ec) {
  if (ec == beast::http::error::bad_transfer_encoding) return "Transfer-Encoding";
  if (ec == beast::http::error::bad_content_length) return "Content-Length";
  return {};
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, Router router, metrics::Registry& registry)
      : options_(std::move(options)),
        router_(std::move(router)),
        acceptor_(ioc_),
        requests_(registry.counter("http_requests_total", "HTTP requests by route, method and status",
                                   {"route", "method", "status"})),
        latency_(registry.histogram("http_request_duration_seconds",
                                    "Time from a request's headers to its response, by route and method",
                                    {"route", "method"})) {}

  Status start(uint16_t& bound_port) {
    beast::error_code ec;
    auto address = net::ip::make_address(options_.host, ec);
    if (ec) return Status::Invalid(fmt::format("--host '{}' is not an IP address", options_.host), "host");
    tcp::endpoint endpoint{address, options_.port};
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable(fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
    }
    bound_port = acceptor_.local_endpoint().port();
    do_accept();
    return Status::Ok();
  }

  void run() {
    // Default: one thread fewer than the cores. The store's writer thread, the trainer and the
    // kernel's network stack need a core too; on 2 cores one I/O thread served more requests
    // at lower CPU per request than two (docs/architecture.md, "I/O threads").
    int n = options_.threads > 0 ? options_.threads
                                 : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()) - 1);
    std::vector<std::thread> threads;
    for (int i = 1; i < n; ++i) threads.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : threads) t.join();
  }

  void post(std::function<void()> fn) { net::post(ioc_, std::move(fn)); }

  void stop() {
    net::post(ioc_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    ioc_.stop();
  }

  // Metric children by label values, cached per thread: the registry's lookup takes a
  // shared lock, which two busy I/O threads would contend on for every request.
  metrics::Counter& request_counter(std::string_view route, std::string_view method, unsigned status) {
    thread_local std::unordered_map<std::string, metrics::Counter*> cache;
    std::string key = fmt::format("{}\n{}\n{}\n{}", id_, route, method, status);
    auto it = cache.find(key);
    if (it != cache.end()) return *it->second;
    metrics::Counter& c = requests_.labels({route, method, std::to_string(status)});
    cache.emplace(std::move(key), &c);
    return c;
  }
  metrics::Histogram& latency_histogram(std::string_view route, std::string_view method) {
    thread_local std::unordered_map<std::string, metrics::Histogram*> cache;
    std::string key = fmt::format("{}\n{}\n{}", id_, route, method);
    auto it = cache.find(key);
    if (it != cache.end()) return *it->second;
    metrics::Histogram& h = latency_.labels({route, method});
    cache.emplace(std::move(key), &h);
    return h;
  }

  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }

 private:
  void do_accept();

  static inline std::atomic<uint64_t> next_id_{1};
  const uint64_t id_ = next_id_++;  // keys the per-thread metric caches to this server
  ServerOptions options_;
  Router router_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& latency_;
};

namespace {

using Parser = beast_http::request_parser<beast_http::string_body>;

// One request and what its handler sees. Shared by the connection and every completion the
// handler hands out, so that work still running after the request was answered (its handler
// threw after handing work off) reads a live request, not the connection's next one.
struct Exchange {
  Parser parser;
  std::string path;  // decoded, without the query
  std::optional<RequestContext> ctx;
  std::atomic<bool> answered{false};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    exchange_ = std::make_shared<Exchange>();
    parser_ = &exchange_->parser;
    parser_->header_limit(kHeaderLimit);
    // Beast checks Content-Length against the limit as soon as the headers are in, before the
    // route (and so its own limit) is known; on_header applies the route's limit instead.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(server_.options().idle_timeout);
    beast::http::async_read_header(stream_, buffer_, *parser_,
                                   beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec == beast::http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return close();
    }
    start_ = std::chrono::steady_clock::now();
    const Request& req = parser_->get();
    const std::string_view client_id = sv(req[kRequestIdHeader]);
    request_id_ = acceptable_request_id(client_id) ? std::string(client_id) : new_request_id();
    if (ec) {
      // A malformed request line or headers (or headers over the limit): answer and close.
      close_after_ = true;
      route_label_ = "unmatched";
      Reply error = ec == beast::http::error::header_limit
                        ? Reply(HttpError{HttpErrorCode::kPayloadTooLarge, "request headers are larger than 16 KiB"})
                        : Reply(Status::Invalid(fmt::format("malformed HTTP request: {}", ec.message()),
                                                framing_field(ec)));
      return send(to_response(std::move(error), req, request_id_));
    }

    // Framing and Host before anything else: a request whose body's extent is ambiguous, or
    // which names a host this server is not, is answered without reading on.
    if (auto refused = head_refusal(req)) return refuse(std::move(*refused));

    std::string_view target = sv(req.target());
    size_t q = target.find('?');
    const std::string_view raw_path = target.substr(0, q);
    auto decoded = percent_decode(raw_path, false);
    std::string bad_key;
    auto query =
        q == std::string_view::npos ? std::optional<Params>(Params{}) : parse_query(target.substr(q + 1), &bad_key);
    auto match = decoded ? server_.router().match(req.method(), raw_path) : std::nullopt;
    if (!decoded || !query || !match) {
      route_label_ = "unmatched";
      const bool blame_key = decoded && !query && !bad_key.empty();
      return send(to_response(
          Status::Invalid(blame_key ? fmt::format("{} has a malformed %-escape or is not UTF-8", bad_key)
                                    : std::string("the request target has a malformed %-escape or is not UTF-8"),
                          blame_key ? bad_key : std::string("target")),
          req, request_id_));
    }
    exchange_->path = std::move(*decoded);
    query_ = std::move(*query);
    match_ = std::move(*match);
    route_label_ = match_.route ? std::string_view(match_.route->pattern) : std::string_view("unmatched");

    // The token and the origin before the body: a client without the right to send it is
    // answered 401/403 before any 100 Continue or 413, and its body is never read.
    if (match_.route) {
      if (auto refused = access_refusal(req)) {
        if (!parser_->is_done()) close_after_ = true;
        return send(to_response(std::move(*refused), req, request_id_));
      }
    }

    const size_t limit = route_body_limit();
    if (auto length = parser_->content_length(); length && *length > limit) return reject_body();
    if (parser_->is_done()) return handle();
    parser_->body_limit(limit);
    if (beast::iequals(req[beast_http::field::expect], "100-continue")) {
      // curl and others wait for this before sending a body over 1 KiB.
      auto cont = std::make_shared<beast_http::response<beast_http::empty_body>>(beast_http::status::continue_,
                                                                                  req.version());
      beast_http::async_write(stream_, *cont,
                              [self = shared_from_this(), cont](beast::error_code wec, size_t) {
                                if (wec) return self->close();
                                self->read_body();
                              });
      return;
    }
    read_body();
  }

  void read_body() {
    // The parser drains the buffer into the body as it goes, so the buffer would stay a few
    // KiB and a 300 KB batch would arrive in ~80 reads (each a recvmsg and a timer re-arm).
    if (auto length = parser_->content_length(); !length || *length > 16384) buffer_.reserve(65536);
    beast::http::async_read(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, size_t) {
    if (ec == beast::http::error::body_limit) {
      return reject_body();
    }
    if (ec) {
      if (ec == beast::error::timeout || ec == net::error::eof || ec == beast::http::error::end_of_stream ||
          ec == beast::http::error::partial_message || ec == net::error::connection_reset) {
        return close();
      }
      close_after_ = true;
      return send(to_response(Status::Invalid(fmt::format("malformed HTTP request body: {}", ec.message())),
                              parser_->get(), request_id_));
    }
    handle();
  }

  // 413: answered before the body is read, then the connection is closed, so a client
  // streaming a huge body is neither stalled nor able to tie up the server.
  void reject_body() {
    close_after_ = true;
    send(to_response(HttpError{HttpErrorCode::kPayloadTooLarge,
                               fmt::format("request body is larger than this route's limit of {} bytes",
                                           route_body_limit())},
                     parser_->get(), request_id_));
  }

  // Framing (Transfer-Encoding) and Host, decided from the head alone.
  std::optional<HeadRefusal> head_refusal(const Request& req) const {
    std::vector<std::string_view> codings;
    for (auto [it, end] = req.equal_range(beast_http::field::transfer_encoding); it != end; ++it) {
      codings.push_back(sv(it->value()));
    }
    const bool has_length = req.find(beast_http::field::content_length) != req.end();
    if (auto refused = check_framing(req.version(), codings, has_length)) return refused;
    // Two Host lines are two answers to "which server?" (RFC 9112 section 3.2: 400).
    if (req.count(beast_http::field::host) > 1) {
      return HeadRefusal{400, "a request may carry only one Host header", "Host"};
    }
    const auto& opts = server_.options();
    HostPolicy hosts{opts.allowed_hosts, opts.tokens.empty() || !opts.allowed_hosts.empty()};
    return check_host(sv(req[beast_http::field::host]), req.version(), hosts);
  }

  // Answers a head refusal and closes the connection: the body (if any) is never read.
  void refuse(HeadRefusal refused) {
    close_after_ = true;
    route_label_ = "unmatched";
    Reply reply = refused.status == 400   ? Reply(Status::Invalid(std::move(refused.message), std::move(refused.field)))
                  : refused.status == 501 ? Reply(HttpError{HttpErrorCode::kNotImplemented, std::move(refused.message),
                                                            std::move(refused.field)})
                                          : Reply(HttpError{HttpErrorCode::kPermissionDenied,
                                                            std::move(refused.message), std::move(refused.field)});
    send(to_response(std::move(reply), parser_->get(), request_id_));
  }

  // The matched route's token check, then the Origin of a state change.
  std::optional<Reply> access_refusal(const Request& req) const {
    const auto& opts = server_.options();
    Role needed = match_.route->options.role;
    if (needed == Role::kRead && opts.public_metrics && match_.route->pattern == "/metrics") needed = Role::kNone;
    if (!opts.tokens.empty() && needed != Role::kNone) {
      if (auto refused = opts.tokens.check(sv(req[beast_http::field::authorization]), needed)) {
        return Reply(std::move(*refused));
      }
    }
    const auto m = req.method();
    if (m != beast_http::verb::get && m != beast_http::verb::head && m != beast_http::verb::options) {
      if (auto refused = check_origin(sv(req[beast_http::field::origin]), sv(req[beast_http::field::host]),
                                      opts.cors_origins, opts.allowed_hosts)) {
        return Reply(HttpError{HttpErrorCode::kPermissionDenied, std::move(refused->message),
                               std::move(refused->field)});
      }
    }
    return std::nullopt;
  }

  // The matched route's own body limit, else the server's default.
  size_t route_body_limit() const {
    return match_.route && match_.route->options.body_limit ? match_.route->options.body_limit
                                                            : server_.options().body_limit;
  }

  void handle() {
    const Request& req = parser_->get();
    const auto& opts = server_.options();

    // CORS: only when configured; a preflight is answered here, before auth.
    std::string_view origin = sv(req[beast_http::field::origin]);
    if (!origin.empty() && !opts.cors_origins.empty()) {
      for (const auto& allowed : opts.cors_origins) {
        if (allowed == "*" || allowed == origin) {
          cors_origin_ = std::string(origin);
          break;
        }
      }
    }
    if (req.method() == beast_http::verb::options && !opts.cors_origins.empty() &&
        !req[beast_http::field::access_control_request_method].empty()) {
      route_label_ = "preflight";
      if (cors_origin_.empty()) {
        return send(to_response(HttpError{HttpErrorCode::kPermissionDenied, "this origin is not allowed (cors_origins)"},
                                req, request_id_));
      }
      Response res{beast_http::status::no_content, req.version()};
      std::string methods;
      for (auto& m : match_.allowed) methods += (methods.empty() ? "" : ", ") + m;
      res.set(beast_http::field::access_control_allow_methods, methods.empty() ? "GET, POST" : methods);
      res.set(beast_http::field::access_control_allow_headers, "Authorization, Content-Type, X-Request-Id");
      res.set(beast_http::field::access_control_max_age, "600");
      return send(std::move(res));
    }

    if (!match_.route) {
      if (!match_.allowed.empty()) {
        std::string allow;
        for (auto& m : match_.allowed) allow += (allow.empty() ? "" : ", ") + m;
        Response res = to_response(HttpError{HttpErrorCode::kMethodNotAllowed,
                                             fmt::format("{} is not allowed on {}; use {}", sv(req.method_string()),
                                                         exchange_->path, allow)},
                                   req, request_id_);
        res.set(beast_http::field::allow, allow);
        return send(std::move(res));
      }
      return send(to_response(Status::NotFound(fmt::format("no route {} {}", sv(req.method_string()), exchange_->path)),
                              req, request_id_));
    }

    Exchange& ex = *exchange_;
    ex.ctx.emplace(RequestContext{req, ex.path, std::move(query_), std::move(match_.path_params), request_id_,
                                  match_.route->pattern});
    Complete done = [self = shared_from_this(), exchange = exchange_](Reply reply) {
      self->complete(*exchange, std::move(reply));
    };
    // The exception boundary of the I/O thread; work the handler hands to a pool has its own
    // (run_on).
    invoke_handler(match_.route->handler, *ex.ctx, done);
  }

  // A handler's answer, from any thread: converted here (the one place) and sent from the
  // connection's strand. Only the first answer of an exchange is sent.
  void complete(Exchange& ex, Reply reply) {
    if (ex.answered.exchange(true)) {
      spdlog::warn("request {} {}: a second answer was dropped", ex.ctx->request_id, ex.ctx->route);
      return;
    }
    Response res = to_response(std::move(reply), ex.parser.get(), ex.ctx->request_id);
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this(), res = std::move(res)]() mutable { self->send(std::move(res)); });
  }

  void send(Response res) {
    const Request& req = parser_->get();
    res.set(kRequestIdHeader, request_id_);
    res.set(beast_http::field::server, "agentlearn");
    if (!cors_origin_.empty()) {
      res.set(beast_http::field::access_control_allow_origin, cors_origin_);
      res.set(beast_http::field::vary, "Origin");
      res.set(beast_http::field::access_control_expose_headers, "X-Request-Id, Retry-After");
    }
    res.keep_alive(!close_after_ && req.keep_alive());
    res.prepare_payload();

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    // Labels are bounded: route patterns (never raw paths), a fixed set of methods, statuses.
    const std::string_view method = method_label(req.method());
    server_.request_counter(route_label_, method, res.result_int()).inc();
    server_.latency_histogram(route_label_, method).observe(seconds);
    if (server_.options().access_log) {
      spdlog::info("{} {} {} {} {:.3f}ms {}", request_id_, sv(req.method_string()), sv(req.target()), res.result_int(),
                   seconds * 1e3, res.body().size());
    }

    // HEAD: the GET route's status and headers (Content-Length included), without the body.
    if (req.method() == beast_http::verb::head) res.body().clear();
    response_ = std::move(res);
    beast_http::async_write(stream_, response_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    const bool keep = response_.keep_alive();
    response_ = {};
    cors_origin_.clear();
    close_after_ = false;
    if (ec) return close();
    if (!keep) return shutdown_and_drain();
    do_read();
  }

  // After a response with Connection: close, stop sending and discard what the client still
  // sends for a moment, so that closing does not reset the connection before the client has
  // read our answer (which it would, with unread bytes in our receive buffer).
  void shutdown_and_drain() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    drain_ = std::make_shared<std::array<char, 16384>>();
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(*drain_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > (64u << 20)) return self->close();
      self->drain();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::shared_ptr<Exchange> exchange_;  // the request being read or answered
  Parser* parser_ = nullptr;            // exchange_->parser
  std::chrono::steady_clock::time_point start_;
  std::string request_id_;
  Params query_;
  RouteMatch match_;
  std::string_view route_label_ = "unmatched";
  std::string cors_origin_;
  bool close_after_ = false;
  Response response_;
  std::shared_ptr<std::array<char, 16384>> drain_;
  size_t drained_ = 0;
};

}  // namespace

void Server::Impl::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(socket), *this)->start();
    } else {
      spdlog::warn("accept failed: {}", ec.message());
    }
    do_accept();
  });
}

Server::Server(ServerOptions options, Router router, metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), registry)) {}
Server::~Server() = default;
Status Server::start() { return impl_->start(bound_port_); }
void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }
void Server::post(std::function<void()> fn) { impl_->post(std::move(fn)); }

}  // namespace agentlearn::http
