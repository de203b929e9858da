#include "http/client.hpp"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cctype>
#include <charconv>
#include <optional>

#ifndef AGENTLEARN_VERSION
#define AGENTLEARN_VERSION "dev"
#endif

namespace agentlearn {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

Status bad_url(std::string_view url, std::string_view why) {
  return Status::Invalid(fmt::format("invalid URL '{}': {}", url, why), "url");
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

// Asio's messages start with a capital ("Connection refused"); ours continue a sentence.
std::string describe(const error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  std::string m = ec.message();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

std::string seconds(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{} s", d.count() / 1000);
  return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0);
}

// The peer closed a kept-alive connection before answering: the request was not
// processed, so sending it again on a new connection is safe.
bool is_stale_connection(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

}  // namespace

StatusOr<ParsedUrl> parse_base_url(std::string_view url) {
  if (url.empty()) return bad_url(url, "it is empty");
  if (starts_with_nocase(url, "https://")) {
    return bad_url(url, "https is not supported by the agentlearn client; use http:// (put a "
                        "TLS-terminating proxy in front of the server when it must be reached over TLS)");
  }
  if (!starts_with_nocase(url, "http://")) {
    return bad_url(url, "it must start with http:// (for example http://127.0.0.1:8080)");
  }
  std::string_view rest = url.substr(7);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad_url(url, "a query or fragment is not allowed in the base URL");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return bad_url(url, "user names in the URL are not supported; use --token");
  }
  ParsedUrl out;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad_url(url, "the IPv6 address has no closing ']'");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url(url, "expected ':' and a port after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return bad_url(url, "the port is empty");
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
      return bad_url(url, "an IPv6 address must be written in brackets, as http://[::1]:8080");
    }
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad_url(url, "the port is empty");
    }
  }
  if (out.host.empty()) return bad_url(url, "the host is missing");
  for (unsigned char c : out.host) {
    if (c <= 0x20 || c == 0x7f) return bad_url(url, "the host contains spaces or control characters");
  }
  if (port.empty()) {
    out.port = "80";
  } else {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad_url(url, fmt::format("the port '{}' is not a number from 1 to 65535", port));
    }
    out.port = std::to_string(value);
  }
  for (unsigned char c : path) {
    if (c <= 0x20 || c == 0x7f) return bad_url(url, "the path contains spaces or control characters");
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.prefix = std::string(path);
  return out;
}

struct HttpClient::Impl {
  HttpClientOptions options;
  Status url_status;
  ParsedUrl url;
  std::string host_header;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;

  // Runs one asynchronous operation to completion on this thread. The async form exists
  // only for the timeouts: beast::tcp_stream enforces them on asynchronous operations.
  template <typename Start>
  error_code run(Start start) {
    error_code result;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  void close() {
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    buffer.consume(buffer.size());
    connected = false;
  }

  std::string where() const { return fmt::format("http://{}", host_header); }

  Status connect(const std::string& base_url) {
    close();
    tcp::resolver resolver(ioc);
    error_code ec;
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) {
      return Status::Unavailable(fmt::format("cannot reach {}: cannot resolve host '{}': {}", base_url, url.host,
                                             describe(ec)));
    }
    stream.expires_after(options.connect_timeout);
    ec = run([&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) {
      close();
      if (ec == beast::error::timeout) {
        return Status::Unavailable(fmt::format("cannot reach {}: no connection within {}", base_url,
                                               seconds(options.connect_timeout)));
      }
      return Status::Unavailable(fmt::format("cannot reach {}: {}", base_url, describe(ec)));
    }
    // Requests are small and answered one at a time: Nagle's delay would only add latency.
    stream.socket().set_option(tcp::no_delay(true), ec);
    connected = true;
    return Status::Ok();
  }
};

HttpClient::HttpClient(std::string url, HttpClientOptions options) : url_(std::move(url)), impl_(new Impl) {
  impl_->options = options;
  auto parsed = parse_base_url(url_);
  if (!parsed.ok()) {
    impl_->url_status = parsed.status();
    return;
  }
  impl_->url = std::move(parsed).value();
  bool ipv6 = impl_->url.host.find(':') != std::string::npos;
  impl_->host_header = ipv6 ? "[" + impl_->url.host + "]" : impl_->url.host;
  if (impl_->url.port != "80") impl_->host_header += ":" + impl_->url.port;
}

HttpClient::~HttpClient() {
  if (impl_) impl_->close();
}

StatusOr<ClientResponse> HttpClient::request(bhttp::verb method, std::string_view target, std::string_view body,
                                             std::string_view content_type, std::string_view bearer_token) {
  Impl& im = *impl_;
  if (!im.url_status.ok()) return im.url_status;

  bhttp::request<bhttp::string_body> req;
  req.method(method);
  std::string full_target = im.url.prefix;
  if (target.empty() || target.front() != '/') full_target += '/';
  full_target += target;
  req.target(full_target);
  req.version(11);
  req.set(bhttp::field::host, im.host_header);
  req.set(bhttp::field::user_agent, "agentlearn/" AGENTLEARN_VERSION);
  req.set(bhttp::field::accept, "application/json");
  if (!bearer_token.empty()) req.set(bhttp::field::authorization, fmt::format("Bearer {}", bearer_token));
  if (!body.empty() || method == bhttp::verb::post || method == bhttp::verb::put) {
    req.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    req.body() = std::string(body);
  }
  req.keep_alive(true);
  req.prepare_payload();

  // At most two attempts: the second only when a reused connection turned out to be closed
  // by the server (idle timeout, restart) before it answered anything.
  for (int attempt = 0;; ++attempt) {
    bool reused = im.connected;
    if (!im.connected) {
      if (Status st = im.connect(url_); !st.ok()) return st;
    }
    im.stream.expires_after(im.options.request_timeout);
    error_code ec = im.run([&](auto handler) { bhttp::async_write(im.stream, req, std::move(handler)); });
    if (ec) {
      im.close();
      if (reused && attempt == 0 && is_stale_connection(ec)) continue;
      if (ec == beast::error::timeout) {
        return Status::Unavailable(fmt::format("{} did not take the request within {}", url_,
                                               seconds(im.options.request_timeout)));
      }
      return Status::Unavailable(fmt::format("sending the request to {} failed: {}", url_, describe(ec)));
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);  // batch answers list every id; the server bounds them
    ec = im.run([&](auto handler) { bhttp::async_read(im.stream, im.buffer, parser, std::move(handler)); });
    if (ec) {
      bool nothing_read = !parser.got_some();
      im.close();
      if (reused && attempt == 0 && nothing_read && is_stale_connection(ec)) continue;
      if (ec == beast::error::timeout) {
        return Status::Unavailable(fmt::format("{} did not answer within {}", url_,
                                               seconds(im.options.request_timeout)));
      }
      if (nothing_read && is_stale_connection(ec)) {
        return Status::Unavailable(fmt::format("{} closed the connection without answering", url_));
      }
      return Status::Unavailable(fmt::format("reading the answer from {} failed: {}", url_, describe(ec)));
    }
    auto res = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[bhttp::field::content_type]);
    out.request_id = std::string(res["X-Request-Id"]);
    out.retry_after = std::string(res[bhttp::field::retry_after]);
    out.body = std::move(res.body());
    if (!res.keep_alive()) im.close();
    return out;
  }
}

}  // namespace agentlearn
