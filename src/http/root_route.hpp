#pragma once
// GET / : where a newcomer's browser lands. It redirects (302) to the dashboard.
#include "http/router.hpp"

namespace agentlearn::http {

inline constexpr const char* kRootRedirectTarget = "/dashboard";

// Adds GET / (open, like /health: the redirect says nothing about the data).
void add_root_route(Router& router);

}  // namespace agentlearn::http
