#include "http/learning_routes.hpp"

#include <fmt/format.h>

#include <simdjson.h>

#include <charconv>
#include <map>

#include "core/bounded_json.hpp"
#include "core/execution_json.hpp"
#include "core/json_text.hpp"
#include "core/time.hpp"
#include "http/errors.hpp"
#include "http/handler.hpp"
#include "http/learning_json.hpp"
#include "http/media_type.hpp"

namespace agentlearn::http {
namespace {

using beast_http::verb;
using json = nlohmann::json;

Response json_ok(unsigned status, const json& body, const RequestContext& ctx) {
  return json_response(status, json_text(body), ctx.request);
}

// A JSON object body, or an empty body read as {} (for endpoints whose members are optional).
// On failure `out` is untouched and the error answers the request.
std::optional<ErrorReply> object_body(const RequestContext& ctx, bool empty_is_object, json& out) {
  const std::string& body = ctx.request.body();
  if (body.empty() && empty_is_object) {
    out = json::object();
    return std::nullopt;
  }
  if (auto wrong = require_json(ctx.request)) return ErrorReply{std::move(*wrong)};
  auto parsed = parse_bounded_json(body, "request body", "body");
  if (!parsed.ok()) return ErrorReply{parsed.status()};
  if (!parsed->is_object()) return ErrorReply{Status::Invalid("the body must be a JSON object", "body")};
  out = std::move(*parsed);
  return std::nullopt;
}

void handle_recommend(ApiDeps& deps, RequestContext& ctx, Complete done) {
  if (auto wrong = require_json(ctx.request)) return done(std::move(*wrong));
  auto request = parse_recommend_request(ctx.request.body());
  if (!request.ok()) return done(request.status());
  run_on(deps.compute, ctx, std::move(done), [&deps, &ctx, request = std::move(*request)]() -> Reply {
    auto answer = deps.service.recommend(request);
    if (!answer.ok()) return answer.status();
    return json_response(200, recommend_answer_body(*answer), ctx.request);
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

// The optional task of GET /agent/{agent_id}/recommendations, from the query.
StatusOr<std::optional<RecommendRequest>> profile_task(const RequestContext& ctx) {
  const std::string* text = ctx.query_param("task_description");
  if (!text) {
    if (ctx.query_param("task_type") || ctx.query_param("context")) {
      return Status::Invalid("task_type and context need a task_description", "task_description");
    }
    return std::optional<RecommendRequest>();
  }
  json body = {{"task_description", *text}};
  if (const std::string* type = ctx.query_param("task_type")) body["task_type"] = *type;
  if (const std::string* context = ctx.query_param("context")) {
    auto c = parse_bounded_json(*context, "context", "context");
    if (!c.ok()) return c.status();
    body["context"] = std::move(*c);
  }
  auto top_k = size_param(ctx, "top_k", 3, 1, RecommendLimits::kMaxTopK);
  if (!top_k.ok()) return top_k.status();
  body["top_k"] = *top_k;
  auto parsed = recommend_request_from_json(body);
  if (!parsed.ok()) return parsed.status();
  return std::optional<RecommendRequest>(std::move(*parsed));
}

void handle_agent_recommendations(ApiDeps& deps, RequestContext& ctx, Complete done) {
  auto task = profile_task(ctx);
  if (!task.ok()) return done(task.status());
  run_on(deps.compute, ctx, std::move(done),
         [&deps, &ctx, agent = *ctx.path_param("agent_id"), task = std::move(*task)]() -> Reply {
           auto profile = deps.service.agent_profile(agent, task);
           if (!profile.ok()) return profile.status();
           return json_response(200, agent_profile_body(*profile), ctx.request);
         });
}

Reply handle_get_mode(ApiDeps& deps, RequestContext& ctx) {
  return json_ok(200, mode_json(deps.service.mode(), deps.service.effective_mode()), ctx);
}

void handle_set_mode(ApiDeps& deps, RequestContext& ctx, Complete done) {
  json body;
  if (auto bad = object_body(ctx, false, body)) return done(std::move(*bad));
  std::optional<LearningMode> mode;
  std::optional<double> rate;
  if (auto it = body.find("mode"); it != body.end()) {
    if (!it->is_string()) return done(Status::Invalid("mode must be one of rules, apprentice, online, exploit", "mode"));
    mode = parse_mode(it->get<std::string>());
    if (!mode) {
      return done(Status::Invalid(
          fmt::format("unknown mode '{}'; expected rules, apprentice, online or exploit", it->get<std::string>()),
          "mode"));
    }
  }
  if (auto it = body.find("exploration_rate"); it != body.end()) {
    if (!it->is_number()) {
      return done(Status::Invalid("exploration_rate must be a number from 0 to 1", "exploration_rate"));
    }
    rate = it->get<double>();
  }
  if (!mode && !rate) return done(Status::Invalid("give mode, exploration_rate or both", "mode"));
  run_on(deps.blocking, ctx, std::move(done), [&deps, &ctx, mode, rate]() -> Reply {
    auto set = deps.service.set_mode(mode, rate);
    if (!set.ok()) return set.status();
    return json_ok(200, mode_json(*set, deps.service.effective_mode()), ctx);
  });
}

void handle_train(ApiDeps& deps, RequestContext& ctx, Complete done) {
  json body;
  if (auto bad = object_body(ctx, true, body)) return done(std::move(*bad));
  bool wait = false;
  if (auto it = body.find("wait"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return done(Status::Invalid("wait must be true or false", "wait"));
    wait = it->get<bool>();
  }
  // With wait, the answer goes out when the run ends (from the trainer thread).
  Trainer::JobCallback finished;
  if (wait) {
    finished = [&ctx, done](const TrainingJob& job) {
      complete_with(ctx, done, [&] { return json_ok(200, training_job_json(job), ctx); });
    };
  }
  auto job = deps.service.train("api", std::move(finished));
  if (!job.ok()) return done(job.status());
  if (!wait) done(json_ok(202, {{"job_id", job->id}, {"status", "queued"}}, ctx));
}

void handle_models_status(ApiDeps& deps, RequestContext& ctx, Complete done) {
  run_on(deps.blocking, ctx, std::move(done), [&deps, &ctx]() -> Reply {
    auto status = deps.service.models_status();
    if (!status.ok()) return status.status();
    return json_ok(200, models_status_json(*status, deps.service.learning_options()), ctx);
  });
}

void handle_rollback(ApiDeps& deps, RequestContext& ctx, Complete done) {
  json body;
  if (auto bad = object_body(ctx, false, body)) return done(std::move(*bad));
  auto it = body.find("version");
  if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > 256) {
    return done(Status::Invalid("version must be a model set version string", "version"));
  }
  run_on(deps.blocking, ctx, std::move(done), [&deps, &ctx, version = it->get<std::string>()]() -> Reply {
    if (Status st = deps.service.rollback(version); !st.ok()) return st;
    return json_ok(200, {{"status", "active"}, {"active_model_set", version}}, ctx);
  });
}

void handle_anomalies(ApiDeps& deps, RequestContext& ctx, Complete done) {
  std::optional<int64_t> since;
  if (const std::string* v = ctx.query_param("since")) {
    since = parse_time_filter_us(*v);
    if (!since) {
      return done(
          Status::Invalid(fmt::format("since must be an RFC 3339 date-time or Unix seconds, got '{}'", *v), "since"));
    }
  }
  auto limit = size_param(ctx, "limit", 100, 1, 10000);
  if (!limit.ok()) return done(limit.status());
  run_on(deps.blocking, ctx, std::move(done), [&deps, &ctx, since, limit = *limit]() -> Reply {
    auto rows = deps.service.anomalies(since, limit);
    if (!rows.ok()) return rows.status();
    return json_ok(200, anomalies_json(*rows, deps.service.explain_anomalies(*rows)), ctx);
  });
}

// The longest q in a query string: a request line is bounded, and this names the field
// instead of failing the whole request. A longer text goes in a POST body, up to the size
// of a task_description.
constexpr size_t kMaxQueryText = 8192;

// The similar-task query, from either form: `get(name)` is the parameter's text, or nullptr
// when it is absent. One validation, so GET and POST refuse the same things alike.
template <typename Get>
StatusOr<SimilarQuery> similar_query(Get&& get, size_t max_text) {
  SimilarQuery q;
  const std::string* text = get("q");
  const std::string* task = get("task_id");
  if ((text == nullptr) == (task == nullptr)) {
    return Status::Invalid("give exactly one of q (a task description) and task_id (a stored task)", "q");
  }
  if (text != nullptr) {
    if (text->empty()) return Status::Invalid("q must not be empty", "q");
    if (text->size() > max_text) return Status::Invalid(fmt::format("q is longer than {} bytes", max_text), "q");
    if (!simdjson::validate_utf8(text->data(), text->size())) return Status::Invalid("q is not valid UTF-8", "q");
    q.text = *text;
  } else {
    if (task->empty()) return Status::Invalid("task_id must not be empty", "task_id");
    if (!simdjson::validate_utf8(task->data(), task->size())) {
      return Status::Invalid("task_id is not valid UTF-8", "task_id");
    }
    q.task_id = *task;
  }
  if (const std::string* v = get("k")) {
    size_t k = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), k);
    if (ec != std::errc() || p != v->data() + v->size() || k < 1 || k > 1000) {
      return Status::Invalid("k must be an integer from 1 to 1000", "k");
    }
    q.k = k;
  }
  if (const std::string* v = get("min_similarity")) {
    double m = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), m);
    if (ec != std::errc() || p != v->data() + v->size() || !(m >= -1 && m <= 1)) {
      return Status::Invalid("min_similarity must be a number from -1 to 1", "min_similarity");
    }
    q.min_similarity = m;
  }
  if (const std::string* source = get("source")) {
    if (*source != "index" && *source != "database") {
      return Status::Invalid("source must be index (the service's HNSW index) or database (pgvector)", "source");
    }
    q.database = *source == "database";
  }
  return q;
}

// POST /tasks/similar's body: the GET parameters as members, each of its JSON type.
StatusOr<SimilarQuery> similar_query_from_body(const json& body) {
  std::map<std::string, std::string> members;
  for (const auto& [name, value] : body.items()) {
    if (name == "q" || name == "task_id" || name == "source") {
      if (!value.is_string()) return Status::Invalid(name + " must be a string", name);
      members[name] = value.get<std::string>();
    } else if (name == "k") {
      if (!value.is_number_integer()) return Status::Invalid("k must be an integer from 1 to 1000", "k");
      members[name] = value.dump();
    } else if (name == "min_similarity") {
      if (!value.is_number()) return Status::Invalid("min_similarity must be a number from -1 to 1", "min_similarity");
      members[name] = fmt::format("{}", value.get<double>());
    } else {
      return Status::Invalid("unknown member " + name + " (known: q, task_id, k, min_similarity, source)", name);
    }
  }
  return similar_query(
      [&members](const char* name) -> const std::string* {
        auto it = members.find(name);
        return it == members.end() ? nullptr : &it->second;
      },
      ExecutionLimits::kMaxDescriptionBytes);
}

void answer_similar(ApiDeps& deps, RequestContext& ctx, Complete done, StatusOr<SimilarQuery> q) {
  if (!q.ok()) return done(q.status());
  run_on(deps.compute, ctx, std::move(done), [&deps, &ctx, q = std::move(*q)]() -> Reply {
    auto answer = deps.service.similar_tasks(q);
    if (!answer.ok()) return answer.status();
    return json_response(200, similar_answer_body(*answer), ctx.request);
  });
}

void handle_similar_tasks(ApiDeps& deps, RequestContext& ctx, Complete done) {
  answer_similar(deps, ctx, std::move(done),
                 similar_query([&ctx](const char* name) { return ctx.query_param(name); }, kMaxQueryText));
}

void handle_similar_tasks_post(ApiDeps& deps, RequestContext& ctx, Complete done) {
  json body;
  if (auto bad = object_body(ctx, false, body)) return done(std::move(*bad));
  answer_similar(deps, ctx, std::move(done), similar_query_from_body(body));
}

}  // namespace

void add_learning_routes(Router& r, std::shared_ptr<ApiDeps> deps) {
  auto async = [&deps](auto fn) { return bind_async(deps, fn); };
  r.add_async(verb::post, "/task/recommend", async(handle_recommend), {.role = Role::kRead});
  r.add_async(verb::get, "/agent/{agent_id}/recommendations", async(handle_agent_recommendations),
              {.role = Role::kRead});
  r.add(verb::get, "/learning/mode", bind_sync(deps, handle_get_mode), {.role = Role::kRead});
  r.add_async(verb::post, "/learning/mode", async(handle_set_mode), {.role = Role::kAdmin});
  r.add_async(verb::post, "/learning/train", async(handle_train), {.role = Role::kAdmin});
  r.add_async(verb::post, "/model/retrain", async(handle_train), {.role = Role::kAdmin});
  r.add_async(verb::get, "/models/status", async(handle_models_status), {.role = Role::kRead});
  r.add_async(verb::post, "/models/rollback", async(handle_rollback), {.role = Role::kAdmin});
  r.add_async(verb::get, "/anomalies", async(handle_anomalies), {.role = Role::kRead});
  r.add_async(verb::get, "/tasks/similar", async(handle_similar_tasks), {.role = Role::kRead});
  r.add_async(verb::post, "/tasks/similar", async(handle_similar_tasks_post), {.role = Role::kRead});
}

}  // namespace agentlearn::http
