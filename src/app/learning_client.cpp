#include "app/learning_client.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "app/config.hpp"
#include "core/json_text.hpp"

namespace agentlearn {

StatusOr<std::unique_ptr<DirectLearning>> DirectLearning::open(const std::string& db_url,
                                                               const std::string& config_file) {
  ConfigOverrides overrides;
  overrides.database = db_url;
  auto config = load_config(config_file, process_environment(), overrides);
  if (!config.ok()) return config.status();
  // stdout carries the command's answer (--json must stay one JSON object): the service's
  // log goes to stderr, and only what a person must hear (warnings) shows.
  auto logger = spdlog::stderr_color_mt("agentlearn-cli");
  logger->set_level(spdlog::level::warn);
  logger->set_pattern("%l: %v");
  spdlog::set_default_logger(std::move(logger));

  auto store = DirectWriter::open(db_url);
  if (!store.ok()) return store.status();
  std::unique_ptr<DirectLearning> out(new DirectLearning);
  out->store_ = std::move(store).value();
  ServiceOptions options;
  options.learning = config->learning;
  options.learning.models = config->models;
  options.start_trainer = false;
  options.start_rollup = false;  // DirectWriter drains the journal when it closes
  options.log_recommendations = false;
  out->service_ = std::make_unique<LearningService>(out->store_->store(), out->store_->group_writer(),
                                                    out->registry_, options);
  return out;
}

DirectLearning::~DirectLearning() { service_.reset(); }

Target resolve_target(ClientOptions& options) {
  resolve_client_options(options);
  Target t;
  auto db = direct_store_url(options);
  if (!db.ok()) {
    print_error(db.status().message());
    t.exit_code = kExitInvalidInput;
    return t;
  }
  t.db = *db;
  return t;
}

std::unique_ptr<DirectLearning> open_direct_learning(const std::string& db_url, const ClientOptions& options,
                                                     int& exit_code) {
  auto direct = DirectLearning::open(db_url, options.config_file);
  if (!direct.ok()) {
    // A URL or config that names no usable store is the user's to fix; a store that fails is not.
    exit_code = report_failure(direct.status());
    return nullptr;
  }
  exit_code = kExitOk;
  return std::move(direct).value();
}

int learning_exit_code_for_http_status(int status) {
  return status == 409 ? kExitFailure : exit_code_for_http_status(status);
}

int exit_code_for_status(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument ? kExitInvalidInput : kExitFailure;
}

int report_failure(const Status& status) {
  print_error(describe_status(status));
  return exit_code_for_status(status);
}

ServerReply call_server(const ClientOptions& options, boost::beast::http::verb method, std::string_view target,
                        std::string_view body, HttpClientOptions http_options) {
  ServerReply reply;
  HttpClient client(options.url, http_options);
  auto res = client.request(method, target, body, "application/json", options.token);
  if (!res.ok()) {
    reply.error = res.status().message();
    print_error(reply.error);
    reply.exit_code = exit_code_for_status(res.status());
    return reply;
  }
  reply.http_status = res->status;
  if (res->status < 200 || res->status > 299) {
    reply.error = describe_server_error(read_server_error(*res));
    print_error(reply.error);
    reply.exit_code = learning_exit_code_for_http_status(res->status);
    return reply;
  }
  reply.body = std::move(res->body);
  return reply;
}

void print_error(const std::string& message) { std::cerr << "error: " << message << '\n'; }

void print_json_line(std::string_view body) {
  std::cout << body;
  if (body.empty() || body.back() != '\n') std::cout << '\n';
}

nlohmann::json parse_answer(const ServerReply& reply) {
  auto j = nlohmann::json::parse(reply.body, nullptr, false);
  if (!j.is_object()) {
    print_error(fmt::format("the server answered HTTP {} with an unexpected body: {}", reply.http_status,
                            reply.body.substr(0, 200)));
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  return j;
}

int print_server_answer(const ServerReply& reply, bool as_json, const ReadablePrinter& readable) {
  if (reply.exit_code != kExitOk) return reply.exit_code;
  if (as_json) {
    print_json_line(reply.body);
    return kExitOk;
  }
  nlohmann::json answer = parse_answer(reply);
  if (answer.is_discarded()) return kExitFailure;
  readable(answer);
  return kExitOk;
}

int print_answer_object(const nlohmann::json& answer, bool as_json, const ReadablePrinter& readable) {
  if (as_json) {
    print_json_line(json_text(answer));
  } else {
    readable(answer);
  }
  return kExitOk;
}

std::string TextTable::render(std::string_view indent) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line(indent);
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

std::string number_cell(const nlohmann::json& value, int digits) {
  if (!value.is_number()) return "-";
  if (value.is_number_integer()) return json_text(value);
  double v = value.get<double>();
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : "-";
}

std::string text_cell(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "-";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : json_text(*it);
}

std::string metrics_cell(const nlohmann::json& metrics) {
  if (!metrics.is_object() || metrics.empty()) return "-";
  std::string out;
  for (const auto& [name, value] : metrics.items()) {
    if (!out.empty()) out += ", ";
    out += name + " " + number_cell(value, 4);
  }
  return out;
}

}  // namespace agentlearn
