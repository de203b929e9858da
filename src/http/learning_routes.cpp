#include "http/learning_routes.hpp"

#include <fmt/format.h>

#include <simdjson.h>

#include <boost/asio/post.hpp>
#include <charconv>

#include "core/time.hpp"
#include "http/errors.hpp"
#include "http/learning_json.hpp"
#include "http/media_type.hpp"

namespace agentlearn::http {
namespace {

using beast_http::verb;
using json = nlohmann::json;

Response json_ok(unsigned status, const json& body, const RequestContext& ctx) {
  return json_response(status, body.dump(), ctx.request);
}

// A JSON object body, or an empty body read as {} (for endpoints whose members are optional).
StatusOr<json> object_body(const RequestContext& ctx, bool empty_is_object) {
  const std::string& body = ctx.request.body();
  if (body.empty() && empty_is_object) return json::object();
  if (Status st = require_json(ctx.request); !st.ok()) return st;
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    return Status::Invalid("request body is not valid JSON (or not UTF-8)", "body").with_reason("invalid_json");
  }
  if (!parsed.is_object()) return Status::Invalid("the body must be a JSON object", "body");
  return parsed;
}

void handle_recommend(ApiDeps& deps, RequestContext& ctx, Responder respond) {
  if (Status st = require_json(ctx.request); !st.ok()) return respond(error_response(st, ctx));
  auto request = parse_recommend_request(ctx.request.body());
  if (!request.ok()) return respond(error_response(request.status(), ctx));
  boost::asio::post(deps.compute, [&deps, &ctx, request = std::move(*request), respond = std::move(respond)] {
    auto answer = deps.service.recommend(request);
    if (!answer.ok()) return respond(error_response(answer.status(), ctx));
    respond(json_response(200, recommend_answer_body(*answer), ctx.request));
  });
}

StatusOr<size_t> size_param(const RequestContext& ctx, const char* name, size_t fallback, size_t lo, size_t hi) {
  const std::string* v = ctx.query_param(name);
  if (!v) return fallback;
  size_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < lo || out > hi) {
    return Status::Invalid(fmt::format("{} must be an integer from {} to {}", name, lo, hi), name);
  }
  return out;
}

void handle_agent_recommendations(ApiDeps& deps, RequestContext& ctx, Responder respond) {
  const std::string* agent = ctx.path_param("agent_id");
  std::optional<RecommendRequest> task;
  if (const std::string* text = ctx.query_param("task_description")) {
    json body = {{"task_description", *text}};
    if (const std::string* type = ctx.query_param("task_type")) body["task_type"] = *type;
    if (const std::string* context = ctx.query_param("context")) {
      json c = json::parse(*context, nullptr, false);
      if (c.is_discarded()) return respond(error_response(Status::Invalid("context must be a JSON object", "context"), ctx));
      body["context"] = c;
    }
    auto top_k = size_param(ctx, "top_k", 3, 1, RecommendLimits::kMaxTopK);
    if (!top_k.ok()) return respond(error_response(top_k.status(), ctx));
    body["top_k"] = *top_k;
    auto parsed = recommend_request_from_json(body);
    if (!parsed.ok()) return respond(error_response(parsed.status(), ctx));
    task = std::move(*parsed);
  } else if (ctx.query_param("task_type") || ctx.query_param("context")) {
    return respond(error_response(
        Status::Invalid("task_type and context need a task_description", "task_description"), ctx));
  }
  boost::asio::post(deps.compute, [&deps, &ctx, agent = *agent, task = std::move(task), respond = std::move(respond)] {
    auto profile = deps.service.agent_profile(agent, task);
    if (!profile.ok()) return respond(error_response(profile.status(), ctx));
    respond(json_ok(200, agent_profile_json(*profile), ctx));
  });
}

void handle_get_mode(ApiDeps& deps, RequestContext& ctx, Responder respond) {
  respond(json_ok(200, mode_json(deps.service.mode(), deps.service.effective_mode()), ctx));
}

void handle_set_mode(ApiDeps& deps, RequestContext& ctx, Responder respond) {
  auto body = object_body(ctx, false);
  if (!body.ok()) return respond(error_response(body.status(), ctx));
  std::optional<LearningMode> mode;
  std::optional<double> rate;
  if (auto it = body->find("mode"); it != body->end()) {
    if (!it->is_string()) {
      return respond(error_response(Status::Invalid("mode must be one of rules, apprentice, online, exploit", "mode"), ctx));
    }
    mode = parse_mode(it->get<std::string>());
    if (!mode) {
      return respond(error_response(
          Status::Invalid(fmt::format("unknown mode '{}'; expected rules, apprentice, online or exploit",
                                      it->get<std::string>()),
                          "mode"),
          ctx));
    }
  }
  if (auto it = body->find("exploration_rate"); it != body->end()) {
    if (!it->is_number()) {
      return respond(error_response(Status::Invalid("exploration_rate must be a number from 0 to 1", "exploration_rate"), ctx));
    }
    rate = it->get<double>();
  }
  if (!mode && !rate) {
    return respond(error_response(Status::Invalid("give mode, exploration_rate or both", "mode"), ctx));
  }
  boost::asio::post(deps.blocking, [&deps, &ctx, mode, rate, respond = std::move(respond)] {
    auto set = deps.service.set_mode(mode, rate);
    if (!set.ok()) return respond(error_response(set.status(), ctx));
    respond(json_ok(200, mode_json(*set, deps.service.effective_mode()), ctx));
  });
}

void handle_train(ApiDeps& deps, RequestContext& ctx, Responder respond) {
  auto body = object_body(ctx, true);
  if (!body.ok()) return respond(error_response(body.status(), ctx));
  bool wait = false;
  if (auto it = body->find("wait"); it != body->end() && !it->is_null()) {
    if (!it->is_boolean()) return respond(error_response(Status::Invalid("wait must be true or false", "wait"), ctx));
    wait = it->get<bool>();
  }
  // With wait, the answer goes out when the run ends (from the trainer thread).
  auto shared = std::make_shared<Responder>(std::move(respond));
  Trainer::JobCallback done;
  if (wait) {
    done = [&ctx, shared](const TrainingJob& job) { (*shared)(json_ok(200, training_job_json(job), ctx)); };
  }
  auto job = deps.service.train("api", std::move(done));
  if (!job.ok()) return (*shared)(error_response(job.status(), ctx));
  if (!wait) (*shared)(json_ok(202, {{"job_id", job->id}, {"status", "queued"}}, ctx));
}

void handle_models_status(ApiDeps& deps, RequestContext& ctx, Responder respond) {
  boost::asio::post(deps.blocking, [&deps, &ctx, respond = std::move(respond)] {
    auto status = deps.service.models_status();
    if (!status.ok()) return respond(error_response(status.status(), ctx));
    respond(json_ok(200, models_status_json(*status, deps.service.learning_options()), ctx));
  });
}

void handle_rollback(ApiDeps& deps, RequestContext& ctx, Responder respond) {
  auto body = object_body(ctx, false);
  if (!body.ok()) return respond(error_response(body.status(), ctx));
  auto it = body->find("version");
  if (it == body->end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > 256) {
    return respond(error_response(Status::Invalid("version must be a model set version string", "version"), ctx));
  }
  std::string version = it->get<std::string>();
  boost::asio::post(deps.blocking, [&deps, &ctx, version, respond = std::move(respond)] {
    if (Status st = deps.service.rollback(version); !st.ok()) return respond(error_response(st, ctx));
    respond(json_ok(200, {{"status", "active"}, {"active_model_set", version}}, ctx));
  });
}

void handle_anomalies(ApiDeps& deps, RequestContext& ctx, Responder respond) {
  std::optional<int64_t> since;
  if (const std::string* v = ctx.query_param("since")) {
    since = parse_time_filter_us(*v);
    if (!since) {
      return respond(error_response(
          Status::Invalid(fmt::format("since must be an RFC 3339 date-time or Unix seconds, got '{}'", *v), "since"), ctx));
    }
  }
  auto limit = size_param(ctx, "limit", 100, 1, 10000);
  if (!limit.ok()) return respond(error_response(limit.status(), ctx));
  boost::asio::post(deps.blocking, [&deps, &ctx, since, limit = *limit, respond = std::move(respond)] {
    auto rows = deps.service.anomalies(since, limit);
    if (!rows.ok()) return respond(error_response(rows.status(), ctx));
    respond(json_ok(200, anomalies_json(*rows), ctx));
  });
}

// The longest q accepted: a task description, not a document (the request line is bounded
// anyway; this names the field instead of failing the whole request).
constexpr size_t kMaxQueryText = 8192;

void handle_similar_tasks(ApiDeps& deps, RequestContext& ctx, Responder respond) {
  auto bad = [&](std::string message, const char* field) {
    respond(error_response(Status::Invalid(std::move(message), field), ctx));
  };
  SimilarQuery q;
  const std::string* text = ctx.query_param("q");
  const std::string* task = ctx.query_param("task_id");
  if ((text == nullptr) == (task == nullptr)) {
    return bad("give exactly one of q (a task description) and task_id (a stored task)", "q");
  }
  if (text != nullptr) {
    if (text->empty()) return bad("q must not be empty", "q");
    if (text->size() > kMaxQueryText) return bad(fmt::format("q is longer than {} bytes", kMaxQueryText), "q");
    if (!simdjson::validate_utf8(text->data(), text->size())) return bad("q is not valid UTF-8", "q");
    q.text = *text;
  } else {
    if (task->empty()) return bad("task_id must not be empty", "task_id");
    if (!simdjson::validate_utf8(task->data(), task->size())) return bad("task_id is not valid UTF-8", "task_id");
    q.task_id = *task;
  }
  auto k = size_param(ctx, "k", 10, 1, 1000);
  if (!k.ok()) return respond(error_response(k.status(), ctx));
  q.k = *k;
  if (const std::string* v = ctx.query_param("min_similarity")) {
    double m = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), m);
    if (ec != std::errc() || p != v->data() + v->size() || !(m >= -1 && m <= 1)) {
      return bad("min_similarity must be a number from -1 to 1", "min_similarity");
    }
    q.min_similarity = m;
  }
  if (const std::string* source = ctx.query_param("source")) {
    if (*source != "index" && *source != "database") {
      return bad("source must be index (the service's HNSW index) or database (pgvector)", "source");
    }
    q.database = *source == "database";
  }
  boost::asio::post(deps.compute, [&deps, &ctx, q = std::move(q), respond = std::move(respond)] {
    auto answer = deps.service.similar_tasks(q);
    if (!answer.ok()) return respond(error_response(answer.status(), ctx));
    respond(json_response(200, similar_answer_body(*answer), ctx.request));
  });
}

}  // namespace

void add_learning_routes(Router& r, std::shared_ptr<ApiDeps> deps) {
  auto bind = [deps](void (*fn)(ApiDeps&, RequestContext&, Responder)) {
    return [deps, fn](RequestContext& ctx, Responder respond) { fn(*deps, ctx, std::move(respond)); };
  };
  r.add(verb::post, "/task/recommend", bind(handle_recommend), {.role = Role::kRead});
  r.add(verb::get, "/agent/{agent_id}/recommendations", bind(handle_agent_recommendations), {.role = Role::kRead});
  r.add(verb::get, "/learning/mode", bind(handle_get_mode), {.role = Role::kRead});
  r.add(verb::post, "/learning/mode", bind(handle_set_mode), {.role = Role::kAdmin});
  r.add(verb::post, "/learning/train", bind(handle_train), {.role = Role::kAdmin});
  r.add(verb::post, "/model/retrain", bind(handle_train), {.role = Role::kAdmin});
  r.add(verb::get, "/models/status", bind(handle_models_status), {.role = Role::kRead});
  r.add(verb::post, "/models/rollback", bind(handle_rollback), {.role = Role::kAdmin});
  r.add(verb::get, "/anomalies", bind(handle_anomalies), {.role = Role::kRead});
  r.add(verb::get, "/tasks/similar", bind(handle_similar_tasks), {.role = Role::kRead});
}

}  // namespace agentlearn::http
