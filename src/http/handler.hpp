#pragma once
// Handlers answer with a Reply (http/errors.hpp): a response or an error value, converted to
// the HTTP response in one place. A synchronous handler returns its Reply; an asynchronous one
// hands work to a pool (or the service) and completes with a Reply later.
//
// The exception boundary: exceptions are for bugs. Wherever a request's work runs (the
// handler call on the I/O thread, work on the compute and blocking pools, callbacks from the
// service's threads) an exception becomes a logged 500 (internal_error) instead of escaping
// into that thread, and the request is still answered exactly once.
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <exception>
#include <functional>
#include <utility>

#include "http/errors.hpp"

namespace agentlearn::http {

// Completes a request. The first call answers; the server ignores (and logs) any later one,
// so a handler that throws after completing, or after handing work off, is still answered
// once. Callable from any thread; the connection waits for it.
using Complete = std::function<void(Reply)>;
// What the router holds: every handler in its asynchronous form.
using Handler = std::function<void(RequestContext&, Complete)>;
using SyncHandler = std::function<Reply(RequestContext&)>;

// Runs `fn` (returning a Reply) behind the exception boundary.
template <typename Fn>
Reply guarded(const RequestContext& ctx, Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (const std::exception& e) {
    return internal_error(ctx, e.what());
  } catch (...) {
    return internal_error(ctx, "an exception that is not a std::exception");
  }
}

// Completes with fn()'s Reply, or with a 500 if it throws: for callbacks the service runs
// on its own threads (the group writer, the trainer).
template <typename Fn>
void complete_with(const RequestContext& ctx, const Complete& done, Fn&& fn) {
  done(guarded(ctx, std::forward<Fn>(fn)));
}

// Runs `fn` on `pool` behind the exception boundary and completes with its Reply. Every route
// hands work to a pool through this, never with a bare post. The request (ctx) outlives the
// work: the connection keeps it until `done` has answered and been released.
template <typename Fn>
void run_on(boost::asio::thread_pool& pool, const RequestContext& ctx, Complete done, Fn fn) {
  boost::asio::post(pool, [&ctx, done = std::move(done), fn = std::move(fn)]() mutable {
    complete_with(ctx, done, std::move(fn));
  });
}

// Calls a route's handler on the calling thread behind the exception boundary. (Not named
// invoke: argument-dependent lookup would find std::invoke, which has no boundary.)
void invoke_handler(const Handler& handler, RequestContext& ctx, const Complete& done);

}  // namespace agentlearn::http
