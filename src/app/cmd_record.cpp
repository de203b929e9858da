#include "app/cmd_record.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <future>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/client_options.hpp"
#include "app/config.hpp"
#include "core/json_text.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"
#include "service/analytics_rollup.hpp"
#include "store/open_store.hpp"

namespace agentlearn {

using ordered_json = nlohmann::ordered_json;

ServerError read_server_error(const ClientResponse& response) {
  ServerError out;
  out.http_status = response.status;
  out.request_id = response.request_id;
  auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  auto text = [](const nlohmann::json& j, const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const auto& e = body["error"];
    out.code = text(e, "code");
    out.message = text(e, "message");
    out.field = text(e, "field");
    if (out.request_id.empty()) out.request_id = text(e, "request_id");
    if (auto it = e.find("errors"); it != e.end() && it->is_array()) {
      for (const auto& item : *it) {
        if (!item.is_object()) continue;
        auto index = item.find("index");
        if (index == item.end() || !index->is_number_integer() || index->get<int64_t>() < 0) continue;
        out.errors.push_back({index->get<size_t>(), text(item, "field"), text(item, "message")});
      }
    }
  }
  if (out.message.empty()) {
    // Not our server's error format (a proxy's page, say): show the start of what came.
    std::string snippet = response.body.substr(0, 200);
    std::replace(snippet.begin(), snippet.end(), '\n', ' ');
    out.message = snippet.empty() ? fmt::format("the server answered HTTP {}", response.status)
                                  : fmt::format("the server answered HTTP {}: {}", response.status, snippet);
  }
  return out;
}

std::string describe_server_error(const ServerError& e) {
  std::string out = e.message;
  std::vector<std::string> notes;
  if (!e.field.empty() && out.find(e.field) == std::string::npos) notes.push_back("field " + e.field);
  notes.push_back(fmt::format("HTTP {}", e.http_status));
  if (!e.request_id.empty()) notes.push_back("request id " + e.request_id);
  return fmt::format("{} ({})", out, fmt::join(notes, ", "));
}

int exit_code_for_http_status(int status) {
  switch (status) {
    case 400:
    case 409:
    case 413:
    case 415:
    case 422: return kExitInvalidInput;
    default: return kExitFailure;
  }
}

std::string describe_status(const Status& st) {
  if (st.field().empty() || st.message().find(st.field()) != std::string::npos) return st.message();
  return fmt::format("{} (field {})", st.message(), st.field());
}

std::optional<bool> parse_boolean_text(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  return std::nullopt;
}

StatusOr<std::optional<std::string>> direct_store_url(const ClientOptions& o) {
  if (o.db) return o.db;
  if (o.config_file.empty()) return std::optional<std::string>();
  auto url = resolve_database(std::nullopt, o.config_file, process_environment());
  if (!url.ok()) return url.status();
  return std::optional<std::string>(std::move(url).value());
}

StatusOr<std::unique_ptr<DirectWriter>> DirectWriter::open(std::string_view db_url) {
  auto store = open_store(db_url);
  if (!store.ok()) return store.status();
  if (Status st = (*store)->migrate(); !st.ok()) return st;
  auto writer = (*store)->executions().open_writer();
  if (!writer.ok()) return writer.status();
  std::unique_ptr<DirectWriter> out(new DirectWriter);
  out->store_ = std::move(store).value();
  out->writer_ = std::make_unique<GroupWriter>(std::move(writer).value());
  return out;
}

DirectWriter::~DirectWriter() {
  if (!writer_) return;
  writer_->stop();
  // What this command wrote reaches the analytics cells before it exits, so a store written
  // by the CLI alone (no server running rounds) has nothing pending, and a downgrade after it
  // finds an empty journal (docs/operations.md, "Upgrades").
  if (auto drained = AnalyticsRollup(store_->analytics(), nullptr).drain(); !drained.ok()) {
    spdlog::warn("analytics rollup: {} (a server's rollup rounds will add them)", drained.status().message());
  }
}

WriteOutcome DirectWriter::write(std::vector<Execution> records) {
  std::promise<WriteOutcome> promise;
  auto future = promise.get_future();
  Status st = writer_->submit(std::move(records), [&promise](WriteOutcome o) { promise.set_value(std::move(o)); });
  if (!st.ok()) {
    WriteOutcome o;
    o.status = st;
    return o;
  }
  return future.get();
}

namespace {

struct RecordFlags {
  ClientOptions client;
  std::optional<std::string> agent_id, task_id, execution_time, success, task_description, task_type, execution_id,
      recommendation_id, context, metrics, timestamp;
  std::string json_input;  // --json VALUE: the record itself, or "-" for stdin
};

// Thrown out of the command's callback: CLI11 turns it into the process's exit code
// (CLI11_PARSE and App::exit print nothing for it).
[[noreturn]] void exit_with(int code) { throw CLI::RuntimeError(code); }

Status check_json_text(std::string_view what, std::string_view text, std::string field) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(text.data(), text.size()).get(doc)) {
    return Status::Invalid(fmt::format("{} is not valid JSON: {}", what, simdjson::error_message(err)),
                           std::move(field));
  }
  return Status::Ok();
}

// The record as JSON text: --json as given, with the field flags laid over it.
StatusOr<std::string> build_record_json(const RecordFlags& f) {
  std::string base;
  if (f.json_input == "-") {
    base.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (base.find_first_not_of(" \t\r\n") == std::string::npos) {
      return Status::Invalid("--json - read nothing from standard input");
    }
  } else {
    base = f.json_input;
  }
  bool any_flag = f.agent_id || f.task_id || f.execution_time || f.success || f.task_description || f.task_type ||
                  f.execution_id || f.recommendation_id || f.context || f.metrics || f.timestamp;
  if (!base.empty()) {
    if (Status st = check_json_text("the --json record", base, ""); !st.ok()) return st;
    // Sent as given: the server must see exactly what the user wrote.
    if (!any_flag) return base;
  }
  ordered_json j = base.empty() ? ordered_json::object() : ordered_json::parse(base, nullptr, false);
  if (!j.is_object()) return Status::Invalid("the --json record must be a JSON object");
  auto set_string = [&](const char* name, const std::optional<std::string>& v) {
    if (v) j[name] = *v;
  };
  set_string("agent_id", f.agent_id);
  set_string("task_id", f.task_id);
  if (f.execution_time) {
    std::string_view s = *f.execution_time;
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    double value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
      return Status::Invalid(fmt::format("execution_time must be a number of seconds, got '{}'", *f.execution_time),
                             "execution_time");
    }
    j["execution_time"] = value;
  }
  if (f.success) {
    auto b = parse_boolean_text(*f.success);
    if (!b) {
      return Status::Invalid(fmt::format("success must be true or false, got '{}'", *f.success), "success");
    }
    j["success"] = *b;
  }
  set_string("task_description", f.task_description);
  set_string("task_type", f.task_type);
  set_string("execution_id", f.execution_id);
  set_string("recommendation_id", f.recommendation_id);
  for (auto [name, value] : {std::pair{"context", &f.context}, std::pair{"metrics", &f.metrics}}) {
    if (!*value) continue;
    if (Status st = check_json_text(name, **value, name); !st.ok()) return st;
    j[name] = ordered_json::parse(**value, nullptr, false);
    if (j[name].is_discarded()) return Status::Invalid(fmt::format("{} is not valid JSON", name), name);
  }
  set_string("timestamp", f.timestamp);
  return json_text(j);
}

void print_error(const std::string& message) { std::cerr << "error: " << message << '\n'; }

int record_via_store(const RecordFlags& f, Execution execution) {
  auto writer = DirectWriter::open(*f.client.db);
  if (!writer.ok()) {
    print_error(writer.status().message());
    // A --db URL that names no store is the user's to fix; a store that fails is not.
    return writer.status().code() == StatusCode::kInvalidArgument ? kExitInvalidInput : kExitFailure;
  }
  std::vector<Execution> records;
  records.push_back(std::move(execution));
  WriteOutcome outcome = (*writer)->write(std::move(records));
  if (!outcome.conflicts.empty()) {
    print_error(outcome.conflicts.front().message);
    return kExitInvalidInput;
  }
  if (!outcome.status.ok()) {
    print_error(describe_status(outcome.status));
    return outcome.status.code() == StatusCode::kInvalidArgument ? kExitInvalidInput : kExitFailure;
  }
  const StoredExecution& r = outcome.results.at(0);
  const char* status = r.duplicate ? "duplicate" : "recorded";
  if (f.client.json) {
    std::string out;
    JsonWriter(out).begin_object().member("status", status).member("id", r.id).end_object();
    std::cout << out << "\n";
  } else {
    std::cout << fmt::format("{} id={}\n", status, r.id);
  }
  return kExitOk;
}

int record_via_server(const RecordFlags& f, const std::string& json) {
  HttpClient client(f.client.url);
  auto res = client.request(boost::beast::http::verb::post, "/agent/performance", json, "application/json",
                            f.client.token);
  if (!res.ok()) {
    print_error(res.status().message());
    return res.status().code() == StatusCode::kInvalidArgument ? kExitInvalidInput : kExitFailure;
  }
  if (res->status != 200 && res->status != 201) {
    print_error(describe_server_error(read_server_error(*res)));
    return exit_code_for_http_status(res->status);
  }
  if (f.client.json) {
    std::cout << res->body;
    if (res->body.empty() || res->body.back() != '\n') std::cout << '\n';
    return kExitOk;
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (!body.is_object() || !body.contains("id")) {
    print_error(fmt::format("the server answered HTTP {} with an unexpected body: {}", res->status,
                            res->body.substr(0, 200)));
    return kExitFailure;
  }
  std::string status = body.value("status", res->status == 201 ? "recorded" : "duplicate");
  std::cout << fmt::format("{} id={}\n", status, json_text(body["id"]));
  if (auto it = body.find("anomaly"); it != body.end() && it->is_boolean() && it->get<bool>()) {
    auto score = body.find("anomaly_score");
    std::cout << fmt::format("anomaly: this run looks unusual (score {})\n",
                             score != body.end() ? json_text(*score) : std::string("?"));
  }
  return kExitOk;
}

int run_record(RecordFlags& f) {
  resolve_client_options(f.client);
  auto json = build_record_json(f);
  if (!json.ok()) {
    print_error(describe_status(json.status()));
    return kExitInvalidInput;
  }
  // Refuse locally what the server would refuse, with the same field-named message.
  auto execution = parse_execution(*json, now_us());
  if (!execution.ok()) {
    print_error(describe_status(execution.status()));
    return kExitInvalidInput;
  }
  auto db = direct_store_url(f.client);
  if (!db.ok()) {
    print_error(db.status().message());
    return kExitInvalidInput;
  }
  f.client.db = *db;
  if (f.client.db) return record_via_store(f, std::move(execution).value());
  return record_via_server(f, *json);
}

}  // namespace

void register_record_command(CLI::App& app) {
  auto flags = std::make_shared<RecordFlags>();
  CLI::App* cmd = app.add_subcommand("record", "Record one execution (through a server, or into a store with --db)");
  cmd->footer(
      "Examples:\n"
      "  agentlearn record --agent-id coder --task-id T-1 --execution-time 12.5 --success true \\\n"
      "      --task-type bugfix --context '{\"difficulty\":\"hard\"}' --metrics '{\"cost_usd\":0.04}'\n"
      "  echo '{\"agent_id\":\"coder\",\"task_id\":\"T-1\",\"execution_time\":3,\"success\":false}' | "
      "agentlearn record --json -\n"
      "Exit status: 0 recorded (or a duplicate), 2 the record was refused, 1 the server or store failed.\n");
  add_client_options(*cmd, flags->client);
  // --json is both the output switch of every client command and, here, a way to give the
  // record itself: `--json` alone prints JSON; `--json '{...}'` or `--json -` (stdin) reads
  // the record and prints JSON too.
  cmd->remove_option(cmd->get_option("--json"));
  CLI::Option* json_opt =
      cmd->add_option("--json", flags->json_input,
                      "Print the answer as JSON; with a value, also read the record from it "
                      "('{...}', or - for standard input). Field flags override its members.")
          ->expected(0, 1);
  cmd->add_option("--agent-id", flags->agent_id, "The agent that ran the task");
  cmd->add_option("--task-id", flags->task_id, "The task's id");
  cmd->add_option("--execution-time", flags->execution_time, "Seconds the run took");
  cmd->add_option("--success", flags->success, "Whether it succeeded: true or false");
  cmd->add_option("--task-description", flags->task_description, "Free text about the task");
  cmd->add_option("--task-type", flags->task_type, "The task's category");
  cmd->add_option("--execution-id", flags->execution_id, "Your unique id for this run (makes retries safe)");
  cmd->add_option("--recommendation-id", flags->recommendation_id, "The recommendation this run followed");
  cmd->add_option("--context", flags->context, "JSON object: what was known before the run");
  cmd->add_option("--metrics", flags->metrics, "JSON object: what the run produced (tokens, cost_usd, ...)");
  cmd->add_option("--timestamp", flags->timestamp, "When it ran, RFC 3339 (default: now)");
  cmd->callback([flags, json_opt] {
    if (json_opt->count() > 0) flags->client.json = true;
    int code = run_record(*flags);
    if (code != kExitOk) exit_with(code);
  });
}

}  // namespace agentlearn
