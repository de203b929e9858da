#pragma once
// The dashboard: one HTML page and its bundled script and style sheet (web/, built by
// esbuild and embedded in the binary), served with a strict Content-Security-Policy. The
// page holds no data; it reads the JSON API with the token a person types in.
#include "http/router.hpp"

namespace agentlearn::http {

void add_dashboard_routes(Router& router);

}  // namespace agentlearn::http
