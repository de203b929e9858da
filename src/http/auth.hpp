#pragma once
// Bearer tokens with roles: TOKEN:ROLE pairs from flags, the environment or the config file.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"
#include "http/errors.hpp"
#include "http/types.hpp"

namespace agentlearn::http {

std::optional<Role> parse_role(std::string_view name);
std::string_view role_name(Role role);

class TokenSet {
 public:
  // Adds "TOKEN:ROLE"; a clear error for a missing colon, empty token or unknown role.
  Status add(std::string_view spec);
  // Adds a comma-separated list, as AGENTLEARN_TOKENS holds it.
  Status add_list(std::string_view specs);
  bool empty() const { return tokens_.empty(); }
  size_t size() const { return tokens_.size(); }

  // nullopt when `authorization` (the header's value) grants `needed`; else kUnauthenticated
  // when there is no valid token, kPermissionDenied when the token's role does not suffice.
  std::optional<HttpError> check(std::string_view authorization, Role needed) const;

 private:
  std::unordered_map<std::string, Role> tokens_;
};

}  // namespace agentlearn::http
