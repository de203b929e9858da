#include "http/media_type.hpp"

#include <fmt/format.h>

#include <cctype>

namespace agentlearn::http {

std::string media_type(const Request& req) {
  std::string_view ct = sv(req[beast_http::field::content_type]);
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  std::string out(ct);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HttpError unsupported_media(std::string_view got, std::string_view expected) {
  return {HttpErrorCode::kUnsupportedMediaType,
          fmt::format("Content-Type must be {} (got '{}')", expected, got.empty() ? "none" : got), "Content-Type"};
}

std::optional<HttpError> require_json(const Request& req) {
  std::string mt = media_type(req);
  if (mt == "application/json") return std::nullopt;
  return unsupported_media(mt, "application/json");
}

}  // namespace agentlearn::http
