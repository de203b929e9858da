#pragma once
// What the server decides from a request's head alone, before it reads a byte of the body:
// whether the message is framed unambiguously (RFC 9112 section 6), whether its Host names
// this server rather than a name a web page rebound to 127.0.0.1 (DNS rebinding), and whether
// a browser's state-changing request comes from an origin the operator allowed. Pure functions
// over header text, so the fuzz targets and unit tests reach them without a socket.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentlearn::http {

// A refusal decided from the head: the status to answer (400, 403 or 501) and why. The
// connection is closed after it, since the body's extent is unknown or unwanted.
struct HeadRefusal {
  unsigned status;
  std::string message;
  std::string field;  // the header to blame
};

// Framing. `transfer_encodings` holds every Transfer-Encoding line's value (a coding list may
// be split over several lines); `version` is 10 or 11. Accepted: no Transfer-Encoding at all
// (Content-Length or no body), or exactly one coding, `chunked`, on HTTP/1.1 without a
// Content-Length. Anything else is refused: a final coding other than chunked leaves the
// body's end unknown (a parser taking it as "no body" serves the body as the next request),
// Content-Length beside Transfer-Encoding is the classic smuggling pair, HTTP/1.0 has no
// chunked coding, and codings before chunked (gzip) are not implemented here (501).
std::optional<HeadRefusal> check_framing(unsigned version, const std::vector<std::string_view>& transfer_encodings,
                                         bool has_content_length);

// Which Host names the server answers.
struct HostPolicy {
  // Host names (without a port, compared case-insensitively) accepted besides the built-in
  // ones; "*" accepts any.
  std::vector<std::string> allowed_hosts;
  // Off when API tokens are set: the token, not the name, protects the service then, unless
  // allowed_hosts is set (which is then enforced anyway).
  bool enforce = true;
};

// The host part of a Host header or of an Origin's authority: "a.example:8080" -> "a.example",
// "[::1]:80" -> "::1". nullopt when it is not a well-formed host[:port].
std::optional<std::string> host_of_authority(std::string_view authority);

// True when `host_header` (the Host line's value) names this server: `localhost`, an IP
// literal (a rebound page's Host is the attacker's own name, never an address), or a name in
// allowed_hosts. An empty Host is refused on HTTP/1.1 (RFC 9112 section 3.2) and allowed on
// HTTP/1.0.
std::optional<HeadRefusal> check_host(std::string_view host_header, unsigned version, const HostPolicy& policy);

// A state-changing request (any method but GET, HEAD and OPTIONS) from a browser carries its
// page's Origin. Accepted: no Origin (non-browser clients send none), the request's own
// origin (the dashboard calling its server), an origin in `cors_origins` (or "*"), or one
// whose host is in allowed_hosts. "null" (sandboxed frames, file:// pages) is refused.
std::optional<HeadRefusal> check_origin(std::string_view origin, std::string_view host_header,
                                        const std::vector<std::string>& cors_origins,
                                        const std::vector<std::string>& allowed_hosts);

}  // namespace agentlearn::http
