#include "http/api_routes.hpp"

#include <fmt/format.h>

#include <boost/beast/core/string.hpp>

#include "core/execution_json.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"
#include "http/dashboard_routes.hpp"
#include "http/embedded_assets.hpp"
#include "http/errors.hpp"
#include "http/handler.hpp"
#include "http/media_type.hpp"
#include "http/learning_routes.hpp"
#include "http/root_route.hpp"
#include "service/ingest_refusals.hpp"
#include "http/analytics_json.hpp"
#include "http/analytics_routes.hpp"

namespace agentlearn::http {
namespace {

using beast_http::verb;

std::string record_errors_json(const std::vector<RecordError>& errors) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const auto& e : errors) {
    w.begin_object().member("index", e.index).member("field", e.field).member("message", e.message).end_object();
  }
  w.end_array();
  return out;
}

// The analytics rollup's backlog, as /health shows it.
void write_rollup(JsonWriter& w, const RollupStatus& r) {
  w.key("analytics_rollup").begin_object();
  w.member("running", r.running).member("leader", r.leader).member("pending_journal_rows", r.pending_journal_rows);
  w.member("pending_executions", r.pending_executions).member("oldest_pending_seconds", r.oldest_pending_seconds);
  w.member("rounds", r.rounds).member("executions_rolled_up", r.executions_rolled_up);
  w.key("last_error");
  if (r.last_error.empty()) {
    w.null();
  } else {
    w.string(r.last_error);
  }
  w.end_object();
}

Reply handle_health(ApiDeps& deps, RequestContext& ctx) {
  HealthReport h = deps.service.health();
  const SimilarityStatus& sim = h.similarity;
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.member("status", h.store_connected && h.store_writable ? "healthy" : "degraded");
  w.member("version", AGENTLEARN_VERSION).member("ml_available", h.models != nullptr);
  w.member("database", h.store_connected ? "connected" : "disconnected").member("backend", h.backend);
  w.member("store_writable", h.store_writable);
  w.key("store_write_error");
  if (h.store_writable) {
    w.null();
  } else {
    w.string(h.store_write_error);
  }
  w.member("vector_storage", to_string(h.vector_storage)).member("uptime_seconds", h.uptime_seconds);
  w.key("model_set");
  if (h.models) {
    w.string(h.models->version);
  } else {
    w.null();
  }
  w.key("models_loaded").begin_array();
  if (h.models) {
    for (const auto& v : h.models->set->versions()) {
      if (v.model == "features" || v.version.ends_with("-none")) continue;
      w.begin_object().member("name", v.model).member("version", v.version).end_object();
    }
  }
  w.end_array();
  w.key("similar_tasks").begin_object();
  w.member("ready", sim.ready).member("building", sim.building).member("embedding_version", sim.embedding_version);
  w.member("indexed_tasks", sim.indexed_tasks).member("memory_bytes", sim.memory_bytes);
  w.member("embedded_through_id", sim.embedded_through_id).member("embeddings_computed", sim.embedded_total);
  w.member("last_build_seconds", sim.last_build_seconds).member("last_build_source", sim.last_build_source);
  w.end_object();
  write_rollup(w, h.rollup);
  w.end_object();
  Response res = json_response(h.store_connected ? 200 : 503, std::move(body), ctx.request);
  if (!h.store_connected) res.set(beast_http::field::retry_after, "5");
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

// Readiness, for orchestrators' probes: 200 only when the store answers, the last write
// probe succeeded and, if the store holds a model set, the models are loaded; else 503
// naming what is missing. Liveness is /health.
Reply handle_ready(ApiDeps& deps, RequestContext& ctx) {
  HealthReport h = deps.service.health();
  const bool ready = h.ready();
  std::vector<std::string> reasons;
  if (!h.store_connected) reasons.emplace_back("the store is unreachable");
  if (!h.store_writable) reasons.push_back("the store is not writable: " + h.store_write_error);
  if (h.model_set_stored && !h.models) reasons.emplace_back("a model set is stored but none is loaded yet");
  if (h.rollup.lagging) {
    reasons.push_back(fmt::format(
        "the analytics rollup is behind: {} executions pending, the oldest journaled {:.0f} s ago (analytics answers "
        "stay exact, but each reads the pending rows)",
        h.rollup.pending_executions, h.rollup.oldest_pending_seconds));
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.member("ready", ready).member("store_connected", h.store_connected).member("store_writable", h.store_writable);
  w.member("model_set_stored", h.model_set_stored).member("models_loaded", h.models != nullptr);
  w.key("write_probe_age_seconds");
  if (h.write_probe_age_seconds < 0) {
    w.null();
  } else {
    w.number(h.write_probe_age_seconds);
  }
  w.key("reasons").begin_array();
  for (const auto& r : reasons) w.string(r);
  w.end_array();
  w.end_object();
  Response res = json_response(ready ? 200 : 503, std::move(body), ctx.request);
  if (!ready) res.set(beast_http::field::retry_after, "5");
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

Reply record_reply(const WriteOutcome& outcome, const RequestContext& ctx) {
  if (!outcome.conflicts.empty()) return Status::Conflict(outcome.conflicts.front().message, "execution_id");
  if (!outcome.status.ok()) return outcome.status;
  const StoredExecution& r = outcome.results.at(0);
  std::string body;
  JsonWriter w(body);
  w.begin_object().member("status", r.duplicate ? "duplicate" : "recorded").member("id", r.id);
  if (r.duplicate) {
    w.end_object();
    return json_response(200, std::move(body), ctx.request);
  }
  // Score and flag are null until an anomaly_detector is active (and for a run it has no
  // history for).
  w.member("anomaly_score", r.anomaly_score).key("anomaly");
  if (r.anomaly) {
    w.boolean(*r.anomaly);
  } else {
    w.null();
  }
  w.end_object();
  return json_response(201, std::move(body), ctx.request);
}

// Records refused before the service saw them, for executions_refused_total (an error path:
// the family lookup it costs does not matter).
void count_refused(ApiDeps& deps, RefusalReason reason, uint64_t records) {
  IngestRefusals(deps.registry).add(reason, records);
}

void handle_record(ApiDeps& deps, RequestContext& ctx, Complete done) {
  const Request& req = ctx.request;
  if (std::string mt = media_type(req); mt != "application/json") {
    count_refused(deps, RefusalReason::kUnsupportedMediaType, 1);
    return done(unsupported_media(mt, "application/json"));
  }
  auto parsed = parse_execution(req.body(), now_us());
  if (!parsed.ok()) {
    count_refused(deps, RefusalReason::kInvalid, 1);
    return done(parsed.status());
  }
  std::vector<Execution> records;
  records.push_back(std::move(parsed).value());
  // The request outlives the write: the connection keeps it until `done` has answered.
  deps.service.record(std::move(records), [&ctx, done = std::move(done)](WriteOutcome outcome) {
    complete_with(ctx, done, [&] { return record_reply(outcome, ctx); });
  });
}

Reply batch_reply(const WriteOutcome& outcome, const RequestContext& ctx) {
  if (!outcome.conflicts.empty()) {
    Status st = Status::Conflict(fmt::format("{} record(s) reuse an execution_id with different content; "
                                             "nothing was stored",
                                             outcome.conflicts.size()));
    return ErrorReply{std::move(st), "conflict", record_errors_json(outcome.conflicts)};
  }
  if (!outcome.status.ok()) return outcome.status;
  size_t dups = 0;
  for (const auto& r : outcome.results) dups += r.duplicate ? 1 : 0;
  std::string body;
  body.reserve(64 + outcome.results.size() * 8);
  JsonWriter w(body);
  w.begin_object().member("status", "recorded").member("recorded", outcome.results.size() - dups);
  w.member("duplicates", dups).key("ids").begin_array();
  for (const auto& r : outcome.results) w.integer(r.id);
  w.end_array().end_object();
  return json_response(201, std::move(body), ctx.request);
}

void handle_batch(ApiDeps& deps, RequestContext& ctx, Complete done) {
  const Request& req = ctx.request;
  std::string mt = media_type(req);
  ParsedBatch batch;
  if (mt == "application/json") {
    batch = parse_batch_json(req.body(), now_us(), deps.limits.max_batch_records);
  } else if (mt == "application/x-ndjson" || mt == "application/jsonl") {
    batch = parse_batch_ndjson(req.body(), now_us(), deps.limits.max_batch_records);
  } else {
    count_refused(deps, RefusalReason::kUnsupportedMediaType, 1);
    return done(unsupported_media(mt, "application/json or application/x-ndjson"));
  }
  if (!batch.status.ok()) {
    count_refused(deps, RefusalReason::kInvalid, std::max<uint64_t>(1, batch.total));
    return done(batch.status);
  }
  if (!batch.errors.empty()) {
    count_refused(deps, RefusalReason::kInvalid, batch.total);
    Status st = Status::Invalid(
        fmt::format("{} of {} records are invalid; nothing was stored", batch.errors.size(), batch.total));
    return done(ErrorReply{std::move(st), "invalid_batch", record_errors_json(batch.errors)});
  }
  deps.service.record(std::move(batch.records), [&ctx, done = std::move(done)](WriteOutcome outcome) {
    complete_with(ctx, done, [&] { return batch_reply(outcome, ctx); });
  });
}

}  // namespace

// since/until/task_type/agent_id, as GET /agents/performance and GET /analytics/dashboard take them.
StatusOr<ExecutionFilter> read_filter(const RequestContext& ctx) {
  ExecutionFilter f;
  for (const char* name : {"since", "until"}) {
    if (const std::string* v = ctx.query_param(name)) {
      auto us = parse_time_filter_us(*v);
      if (!us) {
        return Status::Invalid(fmt::format("{} must be an RFC 3339 date-time or Unix seconds, got '{}'", name, *v),
                               name);
      }
      (std::string_view(name) == "since" ? f.since_us : f.until_us) = *us;
    }
  }
  if (f.since_us && f.until_us && *f.since_us > *f.until_us) {
    return Status::Invalid("since must not be after until", "since");
  }
  for (const char* name : {"task_type", "agent_id"}) {
    if (const std::string* v = ctx.query_param(name)) {
      if (v->empty() || v->size() > ExecutionLimits::kMaxIdBytes) {
        return Status::Invalid(fmt::format("{} must be 1 to {} bytes", name, ExecutionLimits::kMaxIdBytes), name);
      }
      (std::string_view(name) == "task_type" ? f.task_type : f.agent_id) = *v;
    }
  }
  return f;
}

namespace {

void handle_agents_performance(ApiDeps& deps, RequestContext& ctx, Complete done) {
  auto filter = read_filter(ctx);
  if (!filter.ok()) return done(filter.status());
  run_on(deps.blocking, ctx, std::move(done), [&deps, &ctx, filter = std::move(filter).value()]() -> Reply {
    auto report = deps.service.agents_performance(filter);
    if (!report.ok()) return report.status();
    std::string body = performance_json(*report, filter);
    return json_response(200, std::move(body), ctx.request);
  });
}

Reply handle_metrics(ApiDeps& deps, RequestContext& ctx) {
  Response res{beast_http::status::ok, ctx.request.version()};
  res.set(beast_http::field::content_type, std::string(metrics::kContentType));
  res.body() = deps.registry.expose();
  return res;
}

Reply handle_openapi(RequestContext& ctx) {
  auto doc = embedded_asset("openapi.json");
  if (!doc) return Status::Internal("the OpenAPI document was not embedded");
  return json_response(200, std::string(*doc), ctx.request);
}

}  // namespace

SyncHandler bind_sync(std::shared_ptr<ApiDeps> deps, Reply (*fn)(ApiDeps&, RequestContext&)) {
  return [deps = std::move(deps), fn](RequestContext& ctx) { return fn(*deps, ctx); };
}

Handler bind_async(std::shared_ptr<ApiDeps> deps, void (*fn)(ApiDeps&, RequestContext&, Complete)) {
  return [deps = std::move(deps), fn](RequestContext& ctx, Complete done) { fn(*deps, ctx, std::move(done)); };
}

Router build_api_router(ApiDeps deps_in) {
  // Handlers share one copy of the dependencies, which outlives the router.
  auto deps = std::make_shared<ApiDeps>(deps_in);
  Router r;
  r.add(verb::get, "/health", bind_sync(deps, handle_health), {.role = Role::kNone});
  r.add(verb::get, "/health/ready", bind_sync(deps, handle_ready), {.role = Role::kNone});
  r.add_async(verb::post, "/agent/performance", bind_async(deps, handle_record), {.role = Role::kIngest});
  r.add_async(verb::post, "/agent/performance/batch", bind_async(deps, handle_batch),
              {.role = Role::kIngest, .body_limit = deps->limits.batch_body_limit});
  r.add_async(verb::get, "/agents/performance", bind_async(deps, handle_agents_performance), {.role = Role::kRead});
  r.add(verb::get, "/metrics", bind_sync(deps, handle_metrics), {.role = Role::kRead});
  add_learning_routes(r, deps);
  add_analytics_routes(r, deps);
  r.add(verb::get, "/openapi.json", handle_openapi, {.role = Role::kRead});
  add_root_route(r);
  add_dashboard_routes(r);
  return r;
}

}  // namespace agentlearn::http
