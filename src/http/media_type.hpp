#pragma once
// Content-Type checks shared by the handlers that take a body.
#include <optional>
#include <string>
#include <string_view>

#include "http/errors.hpp"
#include "http/types.hpp"

namespace agentlearn::http {

// The media type of the request without parameters, lower-cased ("" when none).
std::string media_type(const Request& req);
// The 415 for a body of the wrong type.
HttpError unsupported_media(std::string_view got, std::string_view expected);
// nullopt for application/json; a 415 naming what came otherwise.
std::optional<HttpError> require_json(const Request& req);

}  // namespace agentlearn::http
