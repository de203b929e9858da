// HttpClient: URL parsing, clear errors when the server is not there, keep-alive and the
// reconnect after a server closed an idle connection, timeouts. The peer is a tiny
// Beast server on a loopback port inside the test.
#include "http/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace agentlearn {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

TEST(ParseBaseUrl, AcceptsHostPortAndPrefix) {
  auto a = parse_base_url("http://127.0.0.1:8080");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "8080");
  EXPECT_EQ(a->prefix, "");

  auto b = parse_base_url("HTTP://localhost/api/v1/");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->host, "localhost");
  EXPECT_EQ(b->port, "80");
  EXPECT_EQ(b->prefix, "/api/v1");

  auto c = parse_base_url("http://[::1]:9000/x");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, "9000");
  EXPECT_EQ(c->prefix, "/x");
}

TEST(ParseBaseUrl, RefusesWithAReason) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {"https://example.com", "https is not supported"},
           {"ftp://example.com", "must start with http://"},
           {"127.0.0.1:8080", "must start with http://"},
           {"http://", "host is missing"},
           {"http://:8080", "host is missing"},
           {"http://host:", "port is empty"},
           {"http://host:0", "not a number from 1 to 65535"},
           {"http://host:70000", "not a number from 1 to 65535"},
           {"http://host:80x", "not a number from 1 to 65535"},
           {"http://::1:8080", "brackets"},
           {"http://[::1", "closing"},
           {"http://host/x?y=1", "query"},
           {"http://user@host", "user names"},
           {"http://ho st", "spaces"},
       }) {
    auto r = parse_base_url(c.url);
    ASSERT_FALSE(r.ok()) << c.url;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << c.url << ": " << r.status().message();
    EXPECT_NE(r.status().message().find(std::string("'") + c.url + "'"), std::string::npos)
        << "the message quotes the URL: " << r.status().message();
  }
}

TEST(HttpClient, BadUrlIsReportedByRequest) {
  HttpClient client("https://127.0.0.1:8443");
  auto r = client.request(bhttp::verb::get, "/health");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("https is not supported"), std::string::npos) << r.status().message();
}

// A loopback port nobody listens on: bound, then closed again.
unsigned short closed_port() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  unsigned short port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

TEST(HttpClient, ConnectionRefusedIsUnavailable) {
  unsigned short port = closed_port();
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  HttpClient client(url);
  auto r = client.request(bhttp::verb::get, "/health");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "cannot reach " + url + ": connection refused");
}

TEST(HttpClient, UnknownHostIsUnavailable) {
  HttpClient client("http://no-such-host.invalid:8080");
  auto r = client.request(bhttp::verb::get, "/health");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("cannot resolve host 'no-such-host.invalid'"), std::string::npos)
      << r.status().message();
}

// One connection at a time, each handled by `session` on the server's thread.
class FakeServer {
 public:
  using Session = std::function<void(tcp::socket&, int connection)>;

  explicit FakeServer(Session session)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), session_(std::move(session)) {
    thread_ = std::thread([this] {
      for (int n = 0;; ++n) {
        tcp::socket socket(ioc_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) return;
        ++connections_;
        session_(socket, n);
      }
    });
  }
  ~FakeServer() {
    stopping_ = true;
    // Wake the blocked accept() with a connection of our own.
    boost::system::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  int connections() const { return connections_; }

 private:
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  Session session_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

struct Seen {
  std::mutex mu;
  std::vector<bhttp::request<bhttp::string_body>> requests;
  void add(const bhttp::request<bhttp::string_body>& r) {
    std::lock_guard lock(mu);
    requests.push_back(r);
  }
};

// Answers requests on one connection until the client closes it, or `max` requests.
void answer(tcp::socket& socket, Seen& seen, int max, const std::string& request_id) {
  boost::beast::flat_buffer buffer;
  for (int i = 0; i < max; ++i) {
    bhttp::request<bhttp::string_body> req;
    boost::system::error_code ec;
    bhttp::read(socket, buffer, req, ec);
    if (ec) return;
    seen.add(req);
    bhttp::response<bhttp::string_body> res{bhttp::status::created, 11};
    res.set(bhttp::field::content_type, "application/json");
    res.set("X-Request-Id", request_id + std::to_string(i));
    res.body() = "{\"echo\":" + std::to_string(req.body().size()) + "}";
    res.keep_alive(true);
    res.prepare_payload();
    bhttp::write(socket, res, ec);
    if (ec) return;
  }
}

TEST(HttpClient, SendsHeadersAndKeepsTheConnection) {
  Seen seen;
  FakeServer server([&](tcp::socket& s, int) { answer(s, seen, 100, "r"); });
  HttpClient client(server.url() + "/prefix/");
  for (int i = 0; i < 3; ++i) {
    auto r = client.request(bhttp::verb::post, "/agent/performance", "{\"a\":1}", "application/json", "tok");
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, 201);
    EXPECT_EQ(r->body, "{\"echo\":7}");
    EXPECT_EQ(r->content_type, "application/json");
    EXPECT_EQ(r->request_id, "r" + std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 1) << "the connection is kept alive between requests";
  std::lock_guard lock(seen.mu);
  ASSERT_EQ(seen.requests.size(), 3u);
  const auto& req = seen.requests[0];
  EXPECT_EQ(std::string(req.target()), "/prefix/agent/performance");
  EXPECT_EQ(std::string(req[bhttp::field::authorization]), "Bearer tok");
  EXPECT_EQ(std::string(req[bhttp::field::content_type]), "application/json");
  EXPECT_EQ(req.body(), "{\"a\":1}");
  EXPECT_NE(std::string(req[bhttp::field::host]).find("127.0.0.1:"), std::string::npos);
}

TEST(HttpClient, ReconnectsOnceWhenTheServerClosedAnIdleConnection) {
  Seen seen;
  // Each connection gets one answer and is then closed without a Connection: close
  // header, as a server's idle timeout does.
  FakeServer server([&](tcp::socket& s, int n) {
    answer(s, seen, 1, "c" + std::to_string(n) + "-");
    boost::system::error_code ec;
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
  });
  HttpClient client(server.url());
  auto first = client.request(bhttp::verb::get, "/one");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->request_id, "c0-0");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the close arrive
  auto second = client.request(bhttp::verb::post, "/two", "xyz");
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->request_id, "c1-0");
  EXPECT_EQ(second->body, "{\"echo\":3}");
  EXPECT_EQ(server.connections(), 2);
  std::lock_guard lock(seen.mu);
  ASSERT_EQ(seen.requests.size(), 2u);
  EXPECT_EQ(std::string(seen.requests[1].target()), "/two");
}

TEST(HttpClient, ServerThatNeverAnswersTimesOut) {
  std::atomic<bool> got_request{false};
  FakeServer server([&](tcp::socket& s, int) {
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    boost::system::error_code ec;
    bhttp::read(s, buffer, req, ec);
    got_request = !ec;
    // Never answer; wait until the client gives up and closes.
    char c;
    s.read_some(asio::buffer(&c, 1), ec);
  });
  HttpClientOptions options;
  options.request_timeout = std::chrono::milliseconds(300);
  HttpClient client(server.url(), options);
  auto start = std::chrono::steady_clock::now();
  auto r = client.request(bhttp::verb::get, "/slow");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("did not answer within 0.3 s"), std::string::npos) << r.status().message();
  EXPECT_LT(took, std::chrono::seconds(60));  // gave up, rather than waiting for ever
  EXPECT_TRUE(got_request);
}

TEST(HttpClient, ConnectionClosedWithoutAnswerIsUnavailable) {
  // Every connection is closed as soon as the request arrives: the one retry fails too.
  FakeServer server([&](tcp::socket& s, int) {
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    boost::system::error_code ec;
    bhttp::read(s, buffer, req, ec);
    s.close(ec);
  });
  HttpClient client(server.url());
  auto r = client.request(bhttp::verb::get, "/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("closed the connection without answering"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace agentlearn
