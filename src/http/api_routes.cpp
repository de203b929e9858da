#include "http/api_routes.hpp"

#include <fmt/format.h>

#include <boost/beast/core/string.hpp>

#include "core/execution_json.hpp"
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

void append_nullable(std::string& out, const std::optional<double>& v) {
  if (v) {
    out += fmt::format("{}", *v);
  } else {
    out += "null";
  }
}

std::string record_errors_json(const std::vector<RecordError>& errors) {
  std::string out = "\"errors\":[";
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i) out += ',';
    out += fmt::format("{{\"index\":{},\"field\":", errors[i].index);
    append_json_string(out, errors[i].field);
    out += ",\"message\":";
    append_json_string(out, errors[i].message);
    out += '}';
  }
  out += ']';
  return out;
}

Reply handle_health(ApiDeps& deps, RequestContext& ctx) {
  HealthReport h = deps.service.health();
  std::string models = "[";
  if (h.models) {
    bool first = true;
    for (const auto& v : h.models->set->versions()) {
      if (v.model == "features" || v.version.ends_with("-none")) continue;
      if (!first) models += ',';
      first = false;
      models += fmt::format("{{\"name\":\"{}\",\"version\":", v.model);
      append_json_string(models, v.version);
      models += '}';
    }
  }
  models += ']';
  std::string set = "null";
  if (h.models) {
    set.clear();
    append_json_string(set, h.models->version);
  }
  const SimilarityStatus& sim = h.similarity;
  std::string similar = fmt::format(
      "{{\"ready\":{},\"building\":{},\"embedding_version\":", sim.ready, sim.building);
  append_json_string(similar, sim.embedding_version);
  fmt::format_to(std::back_inserter(similar),
                 ",\"indexed_tasks\":{},\"memory_bytes\":{},\"embedded_through_id\":{},"
                 "\"embeddings_computed\":{},\"last_build_seconds\":{:.3f},\"last_build_source\":\"{}\"}}",
                 sim.indexed_tasks, sim.memory_bytes, sim.embedded_through_id, sim.embedded_total,
                 sim.last_build_seconds, sim.last_build_source);
  std::string write_error = "null";
  if (!h.store_writable) {
    write_error.clear();
    append_json_string(write_error, h.store_write_error);
  }
  std::string body = fmt::format(
      "{{\"status\":\"{}\",\"version\":\"{}\",\"ml_available\":{},\"database\":\"{}\",\"backend\":\"{}\","
      "\"store_writable\":{},\"store_write_error\":{},"
      "\"vector_storage\":\"{}\",\"uptime_seconds\":{:.3f},\"model_set\":{},\"models_loaded\":{},"
      "\"similar_tasks\":{}}}",
      h.store_connected && h.store_writable ? "healthy" : "degraded", AGENTLEARN_VERSION,
      h.models ? "true" : "false", h.store_connected ? "connected" : "disconnected", h.backend, h.store_writable,
      write_error, to_string(h.vector_storage), h.uptime_seconds, set, models, similar);
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
  std::string reasons = "[";
  auto reason = [&](std::string_view text) {
    if (reasons.size() > 1) reasons += ',';
    append_json_string(reasons, text);
  };
  if (!h.store_connected) reason("the store is unreachable");
  if (!h.store_writable) reason("the store is not writable: " + h.store_write_error);
  if (h.model_set_stored && !h.models) reason("a model set is stored but none is loaded yet");
  reasons += ']';
  std::string body = fmt::format(
      "{{\"ready\":{},\"store_connected\":{},\"store_writable\":{},\"model_set_stored\":{},"
      "\"models_loaded\":{},\"write_probe_age_seconds\":{},\"reasons\":{}}}",
      ready, h.store_connected, h.store_writable, h.model_set_stored, h.models != nullptr,
      h.write_probe_age_seconds < 0 ? std::string("null") : fmt::format("{:.3f}", h.write_probe_age_seconds),
      reasons);
  Response res = json_response(ready ? 200 : 503, std::move(body), ctx.request);
  if (!ready) res.set(beast_http::field::retry_after, "5");
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

Reply record_reply(const WriteOutcome& outcome, const RequestContext& ctx) {
  if (!outcome.conflicts.empty()) return Status::Conflict(outcome.conflicts.front().message, "execution_id");
  if (!outcome.status.ok()) return outcome.status;
  const StoredExecution& r = outcome.results.at(0);
  if (r.duplicate) {
    return json_response(200, fmt::format("{{\"status\":\"duplicate\",\"id\":{}}}", r.id), ctx.request);
  }
  // Score and flag are null until an anomaly_detector is active.
  std::string body = fmt::format("{{\"status\":\"recorded\",\"id\":{},\"anomaly_score\":", r.id);
  append_nullable(body, r.anomaly_score);
  body += r.anomaly ? (*r.anomaly ? ",\"anomaly\":true}" : ",\"anomaly\":false}") : ",\"anomaly\":null}";
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
  std::string ids;
  ids.reserve(outcome.results.size() * 8);
  for (size_t i = 0; i < outcome.results.size(); ++i) {
    if (i) ids += ',';
    ids += std::to_string(outcome.results[i].id);
    dups += outcome.results[i].duplicate ? 1 : 0;
  }
  return json_response(201,
                       fmt::format("{{\"status\":\"recorded\",\"recorded\":{},\"duplicates\":{},\"ids\":[{}]}}",
                                   outcome.results.size() - dups, dups, ids),
                       ctx.request);
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
    std::string body = "{\"agents\":[";
    bool first = true;
    for (const AgentPerformance& a : report->agents) {
      if (!first) body += ',';
      first = false;
      append_agent_performance(body, a);
    }
    body += fmt::format("],\"total_executions\":{},\"percentiles\":\"{}\",\"filters\":{{", report->total_executions,
                        percentiles_name(report->exact_percentiles));
    // Every filter is echoed; one not given is null.
    auto add = [&](const char* name, const std::optional<std::string>& value, bool last) {
      append_json_string(body, name);
      body += ':';
      if (value) {
        append_json_string(body, *value);
      } else {
        body += "null";
      }
      if (!last) body += ',';
    };
    auto time_text = [](const std::optional<int64_t>& us) {
      return us ? std::optional<std::string>(format_rfc3339(*us)) : std::nullopt;
    };
    add("since", time_text(filter.since_us), false);
    add("until", time_text(filter.until_us), false);
    add("task_type", filter.task_type, false);
    add("agent_id", filter.agent_id, true);
    body += "}}";
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
