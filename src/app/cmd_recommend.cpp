#include "app/cmd_recommend.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/learning_client.hpp"
#include "core/bounded_json.hpp"
#include "core/json_text.hpp"
#include "http/learning_json.hpp"

namespace agentlearn {

namespace {

using json = nlohmann::json;

struct RecommendFlags {
  ClientOptions client;
  std::optional<std::string> text;  // the positional TEXT
  std::optional<std::string> task_description, task_type, context, objective;
  std::vector<std::string> candidates;
  std::optional<int64_t> top_k;
};

constexpr size_t kDefaultTopK = 3;  // RecommendRequest's
constexpr size_t kMinRowsShown = 5;

// A flag holding JSON text, parsed; InvalidArgument naming the field when it is not JSON.
StatusOr<json> json_flag(const std::string& text, const char* field) {
  auto parsed = parse_bounded_json(text, fmt::format("--{}", field), field);
  if (!parsed.ok()) return parsed.status();
  return std::move(*parsed);
}

struct Request {
  json body;                 // what POST /task/recommend is sent (server mode)
  RecommendRequest request;  // what the service is asked (store mode)
};

// The request body POST /task/recommend takes, from the flags. Validated as the server
// validates it, so bad input is refused here with the same field-named message.
StatusOr<Request> build_request(const RecommendFlags& f) {
  if (f.text && f.task_description && *f.text != *f.task_description) {
    return Status::Invalid("give the task's text once: as TEXT or as --task-description", "task_description");
  }
  const std::optional<std::string>& text = f.text ? f.text : f.task_description;
  if (!text) {
    return Status::Invalid("the task's text is required: agentlearn recommend TEXT (or --task-description TEXT)",
                           "task_description");
  }
  json body = {{"task_description", *text}};
  if (f.task_type) body["task_type"] = *f.task_type;
  if (f.context) {
    auto context = json_flag(*f.context, "context");
    if (!context.ok()) return context.status();
    body["context"] = std::move(*context);
  }
  if (!f.candidates.empty()) body["candidates"] = f.candidates;
  if (f.top_k) body["top_k"] = *f.top_k;
  if (f.objective) {
    auto objective = json_flag(*f.objective, "objective");
    if (!objective.ok()) return objective.status();
    body["objective"] = std::move(*objective);
  }
  auto request = http::recommend_request_from_json(body);
  if (!request.ok()) return request.status();
  return Request{std::move(body), std::move(request).value()};
}

std::string percent_cell(const json& p) {
  return p.is_number() ? fmt::format("{:.1f}%", 100 * p.get<double>()) : std::string("-");
}

// `given_type`: the task type the user gave, shown as such (the classifier's guess is only
// shown when no type was given: it is what the rules used then).
void print_answer(const json& a, size_t top_k, const std::optional<std::string>& given_type) {
  std::cout << fmt::format("primary agent:   {} (confidence {})\n", text_cell(a, "primary_agent"),
                           percent_cell(a.value("confidence", json())));
  std::vector<std::string> alternatives;
  if (a.contains("alternative_agents") && a["alternative_agents"].is_array()) {
    for (const auto& id : a["alternative_agents"]) {
      alternatives.push_back(id.is_string() ? id.get<std::string>() : json_text(id));
    }
  }
  std::cout << fmt::format("alternatives:    {}\n",
                           alternatives.empty() ? "none" : fmt::format("{}", fmt::join(alternatives, ", ")));
  const bool fallback = a.value("fallback", false);
  const std::string mode = text_cell(a, "mode");
  if (fallback) {
    std::cout << fmt::format("answered by:     the rules (no model set could answer; mode {})\n", mode);
  } else {
    std::cout << fmt::format("answered by:     model set {} (mode {})\n", text_cell(a, "model_version"), mode);
  }
  if (a.value("explored", false)) {
    std::cout << fmt::format("explored:        yes (propensity {})\n", number_cell(a.value("propensity", json()), 4));
  }
  if (given_type) {
    std::cout << fmt::format("task type:       {} (given)\n", *given_type);
  } else if (const json& category = a.value("task_category", json()); category.is_object()) {
    std::cout << fmt::format("task category:   {} (probability {})\n", text_cell(category, "label"),
                             number_cell(category.value("probability", json()), 2));
  }
  std::cout << fmt::format("recommendation:  {}\n", text_cell(a, "recommendation_id"));
  std::cout << fmt::format("reasoning:       {}\n", text_cell(a, "reasoning"));

  const json candidates = a.value("candidates", json::array());
  if (!candidates.is_array() || candidates.empty()) return;
  const size_t shown = std::min(candidates.size(), std::max(top_k, kMinRowsShown));
  // The limits column only when the objective set limits some candidate misses.
  bool any_outside = false;
  for (const json& c : candidates) any_outside = any_outside || !c.value("within_limits", true);
  std::vector<std::string> header = {"agent", "P(success)", "predicted time", "predicted cost", "score", "samples"};
  if (any_outside) header.push_back("within limits");
  TextTable table(std::move(header));
  for (size_t i = 0; i < shown; ++i) {
    const json& c = candidates[i];
    const json time = c.value("predicted_execution_time", json());
    const json cost = c.value("predicted_cost", json());
    std::vector<std::string> row = {text_cell(c, "agent_id"), number_cell(c.value("success_probability", json()), 3),
                                    time.is_number() ? fmt::format("{:.1f} s", time.get<double>()) : "-",
                                    cost.is_number() ? fmt::format("${:.4f}", cost.get<double>()) : "-",
                                    number_cell(c.value("score", json()), 3), number_cell(c.value("samples", json()))};
    if (any_outside) row.push_back(c.value("within_limits", true) ? "yes" : "no");
    table.add(std::move(row));
  }
  std::cout << fmt::format("\ntop candidates ({} of {}):\n", shown, candidates.size()) << table.render("  ");
  if (shown < candidates.size()) {
    std::cout << fmt::format("  ... and {} more (--json lists them all)\n", candidates.size() - shown);
  }
}

int run_recommend(RecommendFlags& f) {
  Target target = resolve_target(f.client);
  if (target.exit_code != kExitOk) return target.exit_code;
  auto built = build_request(f);
  if (!built.ok()) {
    print_error(describe_status(built.status()));
    return kExitInvalidInput;
  }
  const size_t top_k = f.top_k ? static_cast<size_t>(*f.top_k) : kDefaultTopK;
  auto readable = [top_k, &f](const json& answer) { print_answer(answer, top_k, f.task_type); };

  if (!target.db) {
    ServerReply reply = call_server(f.client, boost::beast::http::verb::post, "/task/recommend", json_text(built->body));
    return print_server_answer(reply, f.client.json, readable);
  }
  int code = kExitOk;
  auto direct = open_direct_learning(*target.db, f.client, code);
  if (!direct) return code;
  auto answer = direct->service().recommend(built->request);
  if (!answer.ok()) return report_failure(answer.status());
  // The answer as the server would send it, read back as a client reads it.
  return print_answer_object(nlohmann::json::parse(http::recommend_answer_body(*answer)), f.client.json, readable);
}

}  // namespace

void register_recommend_command(CLI::App& app) {
  auto flags = std::make_shared<RecommendFlags>();
  CLI::App* cmd =
      app.add_subcommand("recommend", "Recommend the agent for a task (through a server, or from a store with --db)");
  cmd->footer(
      "Server mode (the default): asks the server at --url (POST /task/recommend) with --token or\n"
      "$AGENTLEARN_TOKEN (role read). Store mode (--db, or --config naming a database): opens the\n"
      "store in this process and answers with the model set active there, or from the rules\n"
      "(smoothed success rates per agent and task type) when none is, in the store's learning\n"
      "mode; the recommendation is not logged.\n"
      "--json prints the JSON object POST /task/recommend answers.\n"
      "Examples:\n"
      "  agentlearn recommend 'Fix the crash in the CSV export' --task-type bugfix\n"
      "  agentlearn recommend --db sqlite:./data/agentlearn.db 'Add a --dry-run flag' \\\n"
      "      --candidates coder,reviewer --objective '{\"cost_weight\":0.3}' --top-k 2 --json\n"
      "Exit status: 0 answered, 2 bad input (the message names the field), 1 no agents are known\n"
      "yet, or the server or store failed.\n");
  add_client_options(*cmd, flags->client);
  cmd->add_option("text", flags->text, "The task's text (or --task-description)");
  cmd->add_option("--task-description", flags->task_description, "The task's text");
  cmd->add_option("--task-type", flags->task_type, "The task's category, if known (else the classifier's)");
  cmd->add_option("--context", flags->context,
                  R"(JSON object: what is known before the run, e.g. '{"difficulty":"hard"}')");
  cmd->add_option("--candidates", flags->candidates,
                  "Agents to choose from: a,b,c (repeatable; default every known agent)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--top-k", flags->top_k, "The primary agent and top-k - 1 alternatives (default 3)");
  cmd->add_option("--objective", flags->objective,
                  R"(JSON as the API takes it (cost_weight, time_weight, max_cost, max_time), )"
                  R"(e.g. '{"cost_weight":0.3}')");
  cmd->callback([flags] {
    int code = run_recommend(*flags);
    if (code != kExitOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace agentlearn
