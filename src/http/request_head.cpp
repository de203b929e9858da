#include "http/request_head.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace agentlearn::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool listed(const std::string& host, const std::vector<std::string>& allowed) {
  for (const auto& a : allowed) {
    if (a == "*" || iequals(a, host)) return true;
  }
  return false;
}

HeadRefusal bad(std::string message, std::string field, unsigned status = 400) {
  return HeadRefusal{status, std::move(message), std::move(field)};
}

// Header text is echoed in messages: printable ASCII only, and not much of it.
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 100)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 100) out += "...";
  return out;
}

}  // namespace

std::optional<HeadRefusal> check_framing(unsigned version, const std::vector<std::string_view>& transfer_encodings,
                                         bool has_content_length) {
  if (transfer_encodings.empty()) return std::nullopt;
  const std::string field = "Transfer-Encoding";
  if (version < 11) return bad("Transfer-Encoding is not allowed on HTTP/1.0", field);
  if (has_content_length) return bad("a request may not carry both Transfer-Encoding and Content-Length", field);
  std::vector<std::string_view> codings;
  for (std::string_view line : transfer_encodings) {
    while (true) {
      const size_t comma = line.find(',');
      std::string_view item = trim_ows(line.substr(0, comma));
      if (!item.empty()) codings.push_back(item);
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
  }
  if (codings.empty()) return bad("Transfer-Encoding is empty", field);
  if (!iequals(codings.back(), "chunked")) {
    return bad(fmt::format("the final transfer coding must be chunked, got '{}'", shown(codings.back())), field);
  }
  if (codings.size() == 1) return std::nullopt;
  for (size_t i = 0; i + 1 < codings.size(); ++i) {
    if (iequals(codings[i], "chunked")) return bad("chunked may be applied only once", field);
  }
  return bad(fmt::format("transfer coding '{}' is not implemented; send the body chunked only", shown(codings.front())),
             field, 501);
}

std::optional<std::string> host_of_authority(std::string_view authority) {
  if (authority.empty() || authority.size() > 255) return std::nullopt;
  std::string_view host;
  std::string_view rest;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
    if (host.empty()) return std::nullopt;
    for (char c : host) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return std::nullopt;
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    if (host.empty()) return std::nullopt;
    for (char c : host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '~')) {
        return std::nullopt;
      }
    }
  }
  if (!rest.empty()) {
    if (rest.front() != ':' || rest.size() > 6) return std::nullopt;
    for (char c : rest.substr(1)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
  }
  return lower(host);
}

std::optional<HeadRefusal> check_host(std::string_view host_header, unsigned version, const HostPolicy& policy) {
  const std::string field = "Host";
  host_header = trim_ows(host_header);
  if (host_header.empty()) {
    if (version < 11) return std::nullopt;
    return bad("an HTTP/1.1 request needs a Host header", field);
  }
  auto host = host_of_authority(host_header);
  if (!host) return bad(fmt::format("Host '{}' is not a host name with an optional port", shown(host_header)), field);
  if (!policy.enforce) return std::nullopt;
  if (*host == "localhost" || *host == "localhost." || is_ip_literal(*host) || listed(*host, policy.allowed_hosts)) {
    return std::nullopt;
  }
  return bad(fmt::format("Host '{}' is not an address of this server nor in allowed_hosts (a page that rebinds its "
                         "own name to this address would send it)",
                         shown(*host)),
             field, 403);
}

std::optional<HeadRefusal> check_origin(std::string_view origin, std::string_view host_header,
                                        const std::vector<std::string>& cors_origins,
                                        const std::vector<std::string>& allowed_hosts) {
  origin = trim_ows(origin);
  if (origin.empty()) return std::nullopt;
  for (const auto& c : cors_origins) {
    if (c == "*" || iequals(c, origin)) return std::nullopt;
  }
  const std::string field = "Origin";
  std::string_view authority;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() > scheme.size() && iequals(origin.substr(0, scheme.size()), scheme)) {
      authority = origin.substr(scheme.size());
    }
  }
  auto host = host_of_authority(authority);
  if (host) {
    // The page was served by this very server (Host already passed check_host), or its host
    // is one the operator allowed.
    if (iequals(authority, trim_ows(host_header)) || listed(*host, allowed_hosts)) return std::nullopt;
  }
  return bad(fmt::format("a state change from origin '{}' is refused: it is not this server's origin, a CORS origin "
                         "or in allowed_hosts",
                         shown(origin)),
             field, 403);
}

}  // namespace agentlearn::http
