#include "core/execution_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "core/hash.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"

namespace agentlearn {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

const char* type_name(element_type t) {
  switch (t) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

Status wrong_type(std::string_view field, const char* expected, element v) {
  return Status::Invalid(fmt::format("{} must be {}, got {}", field, expected, type_name(v.type())),
                         std::string(field));
}

// Ids are printable: no control characters, bounded length, not empty.
Status check_id(std::string_view field, std::string_view s, size_t max_bytes) {
  if (s.empty()) return Status::Invalid(fmt::format("{} must not be empty", field), std::string(field));
  if (s.size() > max_bytes) {
    return Status::Invalid(fmt::format("{} is longer than {} bytes", field, max_bytes), std::string(field));
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      return Status::Invalid(fmt::format("{} must not contain control characters", field),
                             std::string(field));
    }
  }
  return Status::Ok();
}

// Free text may hold tabs and line breaks, not other control characters.
Status check_text(std::string_view field, std::string_view s, size_t max_bytes) {
  if (s.empty()) return Status::Invalid(fmt::format("{} must not be empty", field), std::string(field));
  if (s.size() > max_bytes) {
    return Status::Invalid(fmt::format("{} is longer than {} bytes", field, max_bytes), std::string(field));
  }
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return Status::Invalid(fmt::format("{} must not contain control characters other than tab and newline", field),
                             std::string(field));
    }
  }
  return Status::Ok();
}

int depth_of(element v, int limit) {
  if (limit < 0) return 1;  // deeper than anyone may go; stop looking
  int deepest = 0;
  if (v.type() == element_type::OBJECT) {
    simdjson::dom::object obj = v.get_object().value_unsafe();  // named: the loop must not outlive it
    for (auto field : obj) deepest = std::max(deepest, depth_of(field.value, limit - 1));
    return deepest + 1;
  }
  if (v.type() == element_type::ARRAY) {
    simdjson::dom::array arr = v.get_array().value_unsafe();
    for (auto item : arr) deepest = std::max(deepest, depth_of(item, limit - 1));
    return deepest + 1;
  }
  return 0;
}

// True when minified JSON text holds the escape \u0000 (an unescaped backslash before it).
bool contains_escaped_nul(std::string_view json) {
  for (size_t pos = json.find("u0000"); pos != std::string_view::npos; pos = json.find("u0000", pos + 1)) {
    size_t backslashes = 0;
    while (pos > backslashes && json[pos - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 1) return true;
  }
  return false;
}

// context and metrics: a JSON object (or null/absent), bounded depth and size, stored minified.
Status read_object(element root, const char* field, std::string& out, element* obj_out) {
  element v;
  if (root.at_key(field).get(v) != simdjson::SUCCESS || v.is_null()) {
    out = "{}";
    return Status::Ok();
  }
  if (v.type() != element_type::OBJECT) return wrong_type(field, "an object", v);
  if (depth_of(v, ExecutionLimits::kMaxObjectDepth + 1) > ExecutionLimits::kMaxObjectDepth) {
    return Status::Invalid(fmt::format("{} is nested deeper than {} levels", field, ExecutionLimits::kMaxObjectDepth),
                           field);
  }
  out = simdjson::minify(v);
  if (contains_escaped_nul(out)) {
    // PostgreSQL's JSONB cannot hold U+0000; refuse it on every store alike.
    return Status::Invalid(fmt::format("{} must not contain the character U+0000", field), field);
  }
  if (out.size() > ExecutionLimits::kMaxObjectBytes) {
    return Status::Invalid(fmt::format("{} is larger than {} bytes", field, ExecutionLimits::kMaxObjectBytes), field);
  }
  if (obj_out) *obj_out = v;
  return Status::Ok();
}

// Reads an optional string member: absent or null leaves `out` empty.
Status read_optional_string(element root, const char* field, std::optional<std::string>& out, bool text) {
  element v;
  if (root.at_key(field).get(v) != simdjson::SUCCESS || v.is_null()) return Status::Ok();
  if (v.type() != element_type::STRING) return wrong_type(field, "a string", v);
  std::string_view s = v.get_string().value_unsafe();
  Status st = text ? check_text(field, s, ExecutionLimits::kMaxDescriptionBytes)
                   : check_id(field, s, ExecutionLimits::kMaxIdBytes);
  if (!st.ok()) return st;
  out = std::string(s);
  return Status::Ok();
}

Status read_required_id(element root, const char* field, std::string& out) {
  element v;
  if (root.at_key(field).get(v) != simdjson::SUCCESS || v.is_null()) {
    return Status::Invalid(fmt::format("{} is required", field), field);
  }
  if (v.type() != element_type::STRING) return wrong_type(field, "a string", v);
  std::string_view s = v.get_string().value_unsafe();
  if (Status st = check_id(field, s, ExecutionLimits::kMaxIdBytes); !st.ok()) return st;
  out = std::string(s);
  return Status::Ok();
}

bool is_number(element v) {
  auto t = v.type();
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

double number_of(element v) {
  switch (v.type()) {
    case element_type::INT64: return static_cast<double>(v.get_int64().value_unsafe());
    case element_type::UINT64: return static_cast<double>(v.get_uint64().value_unsafe());
    default: return v.get_double().value_unsafe();
  }
}

std::string hash_of(const Execution& e) {
  ContentHasher h;
  h.add(e.agent_id);
  h.add(e.task_id);
  uint64_t bits;
  std::memcpy(&bits, &e.execution_time, sizeof bits);
  char le[8];  // little-endian whatever the machine, since the hash is stored
  for (int i = 0; i < 8; ++i, bits >>= 8) le[i] = static_cast<char>(bits & 0xff);
  h.add(std::string_view(le, sizeof le));
  h.add_tag(e.success ? '1' : '0');
  auto opt = [&](char tag, const std::optional<std::string>& s) {
    h.add_tag(s ? tag : '-');
    if (s) h.add(*s);
  };
  opt('d', e.task_description);
  opt('t', e.task_type);
  opt('e', e.execution_id);
  opt('r', e.recommendation_id);
  h.add(e.context_json);
  h.add(e.metrics_json);
  if (!e.timestamp_defaulted) {
    h.add_tag('T');
    h.add(std::to_string(e.timestamp_us));
  }
  return h.hex();
}

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

Status parse_error(simdjson::error_code code) {
  return Status::Invalid(fmt::format("request body is not valid JSON: {}", simdjson::error_message(code)), "body")
      .with_reason("invalid_json");
}

}  // namespace

StatusOr<Execution> execution_from_json(element root, int64_t received_us) {
  if (root.type() != element_type::OBJECT) {
    return Status::Invalid(fmt::format("an execution must be a JSON object, got {}", type_name(root.type())), "body");
  }
  Execution e;
  if (Status st = read_required_id(root, "agent_id", e.agent_id); !st.ok()) return st;
  if (Status st = read_required_id(root, "task_id", e.task_id); !st.ok()) return st;

  element v;
  if (root.at_key("execution_time").get(v) != simdjson::SUCCESS || v.is_null()) {
    return Status::Invalid("execution_time is required", "execution_time");
  }
  if (!is_number(v)) return wrong_type("execution_time", "a number", v);
  e.execution_time = number_of(v);
  if (!std::isfinite(e.execution_time) || e.execution_time < 0 ||
      e.execution_time > ExecutionLimits::kMaxExecutionTime) {
    return Status::Invalid(fmt::format("execution_time must be a finite number of seconds between 0 and {:g}",
                                       ExecutionLimits::kMaxExecutionTime),
                           "execution_time");
  }

  if (root.at_key("success").get(v) != simdjson::SUCCESS || v.is_null()) {
    return Status::Invalid("success is required", "success");
  }
  if (v.type() != element_type::BOOL) return wrong_type("success", "a boolean", v);
  e.success = v.get_bool().value_unsafe();

  if (Status st = read_optional_string(root, "task_description", e.task_description, true); !st.ok()) return st;
  if (Status st = read_optional_string(root, "task_type", e.task_type, false); !st.ok()) return st;
  if (Status st = read_optional_string(root, "execution_id", e.execution_id, false); !st.ok()) return st;
  if (Status st = read_optional_string(root, "recommendation_id", e.recommendation_id, false); !st.ok()) return st;
  if (Status st = read_object(root, "context", e.context_json, nullptr); !st.ok()) return st;
  element metrics;
  bool has_metrics = false;
  if (Status st = read_object(root, "metrics", e.metrics_json, &metrics); !st.ok()) return st;
  has_metrics = e.metrics_json != "{}";
  if (has_metrics) {
    element cost;
    if (metrics.at_key("cost_usd").get(cost) == simdjson::SUCCESS && !cost.is_null()) {
      if (!is_number(cost)) return wrong_type("metrics.cost_usd", "a number", cost);
      double c = number_of(cost);
      if (!std::isfinite(c) || c < 0 || c > ExecutionLimits::kMaxCostUsd) {
        return Status::Invalid(
            fmt::format("metrics.cost_usd must be a number of dollars from 0 to {:g}", ExecutionLimits::kMaxCostUsd),
            "metrics.cost_usd");
      }
      e.cost_usd = c;
    }
    for (const char* name : {"tokens_in", "tokens_out", "input_tokens", "output_tokens", "total_tokens"}) {
      element tokens;
      if (metrics.at_key(name).get(tokens) != simdjson::SUCCESS || tokens.is_null()) continue;
      const std::string field = std::string("metrics.") + name;
      if (!is_number(tokens)) return wrong_type(field, "a number", tokens);
      const double t = number_of(tokens);
      if (!std::isfinite(t) || t < 0 || t > ExecutionLimits::kMaxTokens || t != std::floor(t)) {
        return Status::Invalid(fmt::format("{} must be a whole number from 0 to {:g}", field, ExecutionLimits::kMaxTokens),
                               field);
      }
    }
  }

  if (root.at_key("timestamp").get(v) == simdjson::SUCCESS && !v.is_null()) {
    if (v.type() != element_type::STRING) return wrong_type("timestamp", "an RFC 3339 string", v);
    auto ts = parse_rfc3339_us(v.get_string().value_unsafe());
    if (!ts) {
      return Status::Invalid("timestamp must be an RFC 3339 date-time such as 2025-11-24T09:30:00Z",
                             "timestamp");
    }
    e.timestamp_us = *ts;
  } else {
    e.timestamp_us = received_us;
    e.timestamp_defaulted = true;
  }
  e.content_hash = hash_of(e);
  return e;
}

StatusOr<Execution> parse_execution(std::string_view json, int64_t received_us) {
  element doc;
  auto err = thread_parser().parse(json.data(), json.size(), true).get(doc);
  if (err) return parse_error(err);
  return execution_from_json(doc, received_us);
}

namespace {

void add_record(ParsedBatch& out, size_t index, element value, int64_t received_us) {
  auto parsed = execution_from_json(value, received_us);
  if (parsed.ok()) {
    if (out.errors.empty()) out.records.push_back(std::move(parsed).value());
  } else {
    out.errors.push_back({index, parsed.status().field(), parsed.status().message()});
  }
}

void finish(ParsedBatch& out, size_t total) {
  out.total = total;
  if (!out.errors.empty()) out.records.clear();
}

}  // namespace

ParsedBatch parse_batch_json(std::string_view body, int64_t received_us, size_t max_records) {
  ParsedBatch out;
  simdjson::dom::parser parser;  // not thread-local: a 16 MiB batch should not pin 16 MiB per thread
  element doc;
  if (auto err = parser.parse(body.data(), body.size(), true).get(doc)) {
    out.status = parse_error(err);
    return out;
  }
  if (doc.type() != element_type::OBJECT) {
    out.status = Status::Invalid("batch body must be a JSON object {\"records\": [...]}", "body");
    return out;
  }
  element records;
  if (doc.at_key("records").get(records) != simdjson::SUCCESS) {
    out.status = Status::Invalid("records is required", "records");
    return out;
  }
  if (records.type() != element_type::ARRAY) {
    out.status = wrong_type("records", "an array", records);
    return out;
  }
  auto array = records.get_array().value_unsafe();
  const size_t n = array.size();
  if (n == 0) {
    out.status = Status::Invalid("records must not be empty", "records");
    return out;
  }
  if (n > max_records) {
    out.status = Status::Invalid(fmt::format("records holds {} executions; the limit is {}", n, max_records),
                                 "records");
    return out;
  }
  out.records.reserve(n);
  size_t i = 0;
  for (element item : array) add_record(out, i++, item, received_us);
  finish(out, n);
  return out;
}

ParsedBatch parse_batch_ndjson(std::string_view body, int64_t received_us, size_t max_records) {
  ParsedBatch out;
  simdjson::dom::parser parser;
  size_t index = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    if (index >= max_records) {
      out.status = Status::Invalid(fmt::format("the batch holds more than {} executions", max_records), "records");
      out.records.clear();
      return out;
    }
    element doc;
    if (auto err = parser.parse(line.data(), line.size(), true).get(doc)) {
      out.errors.push_back({index, "", fmt::format("line is not valid JSON: {}", simdjson::error_message(err))});
    } else {
      add_record(out, index, doc, received_us);
    }
    ++index;
  }
  if (index == 0) out.status = Status::Invalid("the batch holds no executions", "records");
  finish(out, index);
  return out;
}

std::string execution_to_json(const Execution& e) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.member("agent_id", e.agent_id).member("task_id", e.task_id);
  w.member("execution_time", e.execution_time).member("success", e.success);
  auto opt = [&](const char* name, const std::optional<std::string>& s) {
    if (s) w.member(name, *s);
  };
  opt("task_description", e.task_description);
  opt("task_type", e.task_type);
  opt("execution_id", e.execution_id);
  opt("recommendation_id", e.recommendation_id);
  w.key("context").raw(e.context_json).key("metrics").raw(e.metrics_json);
  if (!e.timestamp_defaulted) w.member("timestamp", format_rfc3339(e.timestamp_us));
  w.end_object();
  return out;
}

}  // namespace agentlearn
