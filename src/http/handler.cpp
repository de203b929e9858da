#include "http/handler.hpp"

namespace agentlearn::http {

void invoke_handler(const Handler& handler, RequestContext& ctx, const Complete& done) {
  try {
    handler(ctx, done);
  } catch (const std::exception& e) {
    done(internal_error(ctx, e.what()));
  } catch (...) {
    done(internal_error(ctx, "an exception that is not a std::exception"));
  }
}

}  // namespace agentlearn::http
