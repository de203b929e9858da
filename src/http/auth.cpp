#include "http/auth.hpp"

#include <fmt/format.h>

namespace agentlearn::http {

std::optional<Role> parse_role(std::string_view name) {
  if (name == "ingest") return Role::kIngest;
  if (name == "read") return Role::kRead;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kNone: return "none";
    case Role::kIngest: return "ingest";
    case Role::kRead: return "read";
    case Role::kAdmin: return "admin";
  }
  return "none";
}

Status TokenSet::add(std::string_view spec) {
  size_t colon = spec.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::Invalid(fmt::format("auth token must be TOKEN:ROLE with ROLE one of ingest, read, admin"),
                           "auth_token");
  }
  std::string_view token = spec.substr(0, colon);
  auto role = parse_role(spec.substr(colon + 1));
  if (!role) {
    return Status::Invalid(fmt::format("unknown role '{}' (use ingest, read or admin)", spec.substr(colon + 1)),
                           "auth_token");
  }
  for (unsigned char c : token) {
    if (c <= 0x20 || c >= 0x7f) return Status::Invalid("auth token must be printable ASCII without spaces", "auth_token");
  }
  tokens_[std::string(token)] = *role;
  return Status::Ok();
}

Status TokenSet::add_list(std::string_view specs) {
  size_t pos = 0;
  while (pos <= specs.size()) {
    size_t end = specs.find(',', pos);
    if (end == std::string_view::npos) end = specs.size();
    std::string_view one = specs.substr(pos, end - pos);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (!one.empty()) {
      if (Status st = add(one); !st.ok()) return st;
    }
    pos = end + 1;
  }
  return Status::Ok();
}

std::optional<HttpError> TokenSet::check(std::string_view authorization, Role needed) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return HttpError{HttpErrorCode::kUnauthenticated, "this route needs an API token: send Authorization: Bearer TOKEN"};
  }
  auto it = tokens_.find(std::string(authorization.substr(kBearer.size())));
  if (it == tokens_.end()) return HttpError{HttpErrorCode::kUnauthenticated, "the API token is not valid"};
  if (it->second == Role::kAdmin || it->second == needed || needed == Role::kNone) return std::nullopt;
  return HttpError{HttpErrorCode::kPermissionDenied,
          fmt::format("a token with role '{}' may not do this; it needs role '{}'", role_name(it->second),
                      role_name(needed))};
}

}  // namespace agentlearn::http
