#pragma once
// A small synchronous HTTP/1.1 client for the CLI's client commands (record, import, ...).
// One connection, kept alive between requests: `agentlearn import` sends thousands of
// batches and should not pay a TCP handshake for each. Plain http only: the service is run
// behind a TLS-terminating proxy when it is exposed, and the CLI talks to it from inside.
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace agentlearn {

struct ClientResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string request_id;   // X-Request-Id, to quote when reporting a server error
  std::string retry_after;  // Retry-After, as sent (seconds or an HTTP date), or empty
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // The whole exchange of one request: writing it and reading the full response. Long,
  // because `train --wait` answers only when training is done.
  std::chrono::milliseconds request_timeout{120000};
};

// The parts of a base URL "http://host[:port][/prefix]".
struct ParsedUrl {
  std::string host;    // without the brackets of an IPv6 literal
  std::string port;    // "80" when absent
  std::string prefix;  // "" or "/prefix" without a trailing slash
};

// Parses a base URL; InvalidArgument (naming the URL) for anything else, https included.
StatusOr<ParsedUrl> parse_base_url(std::string_view url);

class HttpClient {
 public:
  explicit HttpClient(std::string url, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request to prefix + target and reads the whole response. Any HTTP status is a
  // response (the caller decides what 4xx/5xx mean); a Status only for what prevented one:
  // InvalidArgument for a bad URL, Unavailable when the server cannot be reached, closed
  // the connection without answering, or timed out.
  StatusOr<ClientResponse> request(boost::beast::http::verb method, std::string_view target,
                                   std::string_view body = {},
                                   std::string_view content_type = "application/json",
                                   std::string_view bearer_token = {});

  // The base URL as given, for messages.
  const std::string& url() const { return url_; }

 private:
  struct Impl;
  std::string url_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agentlearn
