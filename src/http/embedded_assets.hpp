#pragma once
// Files embedded into the binary at build time (cmake/embed.cmake): the OpenAPI document
// and, later, the dashboard page.
#include <optional>
#include <string_view>

namespace agentlearn {
std::optional<std::string_view> embedded_asset(std::string_view name);
}
