#include "app/csv_record_mapper.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include "app/cmd_record.hpp"
#include "core/json_writer.hpp"
#include "core/text.hpp"

namespace agentlearn {
namespace {

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 8259's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// A CSV cell as a JSON number, if the whole (trimmed) cell is a finite number. A cell that
// already is a JSON number is kept as written ("1.0" stays 1.0, "14" stays an integer): the
// stored context and metrics, and so the duplicate check, match what a JSONL import of the
// same values would store. Other spellings ("+5", ".5", "007") are normalised.
std::optional<std::string> number_json(std::string_view cell) {
  cell = trim(cell);
  if (cell.empty()) return std::nullopt;
  const char* first = cell.data();
  const char* last = cell.data() + cell.size();
  if (*first == '+') ++first;  // from_chars takes no plus sign
  int64_t i = 0;
  double d = 0;
  bool is_int = false, is_double = false;
  if (auto [end, ec] = std::from_chars(first, last, i); ec == std::errc() && end == last) is_int = true;
  if (!is_int) {
    auto [end, ec] = std::from_chars(first, last, d);
    is_double = ec == std::errc() && end == last && std::isfinite(d);
  }
  if (!is_int && !is_double) return std::nullopt;
  bool integer_text = cell.find_first_of(".eE") == std::string_view::npos;
  // An integer beyond 64 bits is kept as a double: the JSON parser refuses bigger ones.
  if (is_json_number(cell) && (is_int || !integer_text)) return std::string(cell);
  return is_int ? std::to_string(i) : fmt::format("{}", d);
}

void append_member(std::string& out, std::string_view name, std::string_view value_json) {
  if (out.size() > 1) out.push_back(',');
  append_json_string(out, name);
  out.push_back(':');
  out += value_json;
}

}  // namespace

StatusOr<CsvRecordMapper> CsvRecordMapper::from_header(const std::vector<std::string>& header) {
  static const std::vector<std::pair<std::string_view, Kind>> kFields = {
      {"agent_id", Kind::kString},         {"task_id", Kind::kString},
      {"execution_time", Kind::kNumber},   {"success", Kind::kBool},
      {"task_description", Kind::kString}, {"task_type", Kind::kString},
      {"execution_id", Kind::kString},     {"recommendation_id", Kind::kString},
      {"timestamp", Kind::kString},        {"context", Kind::kContextObject},
      {"metrics", Kind::kMetricsObject},
  };
  CsvRecordMapper m;
  std::set<std::string> seen;
  bool context_members = false, metrics_members = false, context_object = false, metrics_object = false;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name(trim(header[i]));
    if (name.empty()) return Status::Invalid(fmt::format("column {} of the header has no name", i + 1));
    if (!seen.insert(name).second) return Status::Invalid(fmt::format("column '{}' appears twice in the header", name));
    Column col{Kind::kString, name};
    bool known = false;
    for (auto& [field, kind] : kFields) {
      if (name == field) {
        col.kind = kind;
        known = true;
      }
    }
    if (!known) {
      auto member = [&](std::string_view prefix, Kind kind) {
        if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
          col = {kind, name.substr(prefix.size())};
          known = true;
        }
      };
      member("context.", Kind::kContextMember);
      member("metrics.", Kind::kMetricsMember);
    }
    if (!known) {
      return Status::Invalid(fmt::format(
          "column '{}' is not an execution field; columns are agent_id, task_id, execution_time, success, "
          "task_description, task_type, execution_id, recommendation_id, timestamp, context, metrics, "
          "context.NAME and metrics.NAME",
          name));
    }
    context_members |= col.kind == Kind::kContextMember;
    metrics_members |= col.kind == Kind::kMetricsMember;
    context_object |= col.kind == Kind::kContextObject;
    metrics_object |= col.kind == Kind::kMetricsObject;
    m.columns_.push_back(std::move(col));
  }
  // A whole-object column and member columns would have to be merged, and which one wins
  // for a member in both is a guess: refuse the combination.
  if (context_object && context_members) {
    return Status::Invalid("the header has both a context column and context.NAME columns; use one or the other");
  }
  if (metrics_object && metrics_members) {
    return Status::Invalid("the header has both a metrics column and metrics.NAME columns; use one or the other");
  }
  return m;
}

StatusOr<std::string> CsvRecordMapper::to_json(const std::vector<std::string>& row) const {
  if (row.size() != columns_.size()) {
    return Status::Invalid(fmt::format("expected {} fields, as in the header, but found {}", columns_.size(), row.size()));
  }
  std::string out = "{";
  std::string context = "{";
  std::string metrics = "{";
  std::string_view context_object, metrics_object;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Column& col = columns_[i];
    const std::string& cell = row[i];
    switch (col.kind) {
      case Kind::kString: {
        if (cell.empty()) break;  // absent; a required one is then reported as required
        std::string value;
        append_json_string(value, cell);
        append_member(out, col.name, value);
        break;
      }
      case Kind::kNumber: {
        if (trim(cell).empty()) break;
        auto n = number_json(cell);
        if (!n) return Status::Invalid(fmt::format("{} must be a number, got '{}'", col.name, cell), col.name);
        append_member(out, col.name, *n);
        break;
      }
      case Kind::kBool: {
        if (trim(cell).empty()) break;
        auto b = parse_boolean_text(cell);
        if (!b) {
          return Status::Invalid(fmt::format("{} must be true or false (or 1/0, yes/no), got '{}'", col.name, cell),
                                 col.name);
        }
        append_member(out, col.name, *b ? "true" : "false");
        break;
      }
      case Kind::kContextMember:
      case Kind::kMetricsMember: {
        std::string& target = col.kind == Kind::kContextMember ? context : metrics;
        if (cell.empty()) break;
        std::string_view t = trim(cell);
        if (equals_nocase(t, "true") || equals_nocase(t, "false")) {
          append_member(target, col.name, equals_nocase(t, "true") ? "true" : "false");
        } else if (auto n = number_json(t)) {
          append_member(target, col.name, *n);
        } else {
          std::string value;
          append_json_string(value, cell);
          append_member(target, col.name, value);
        }
        break;
      }
      case Kind::kContextObject:
      case Kind::kMetricsObject: {
        std::string_view t = trim(cell);
        if (t.empty()) break;
        const char* field = col.kind == Kind::kContextObject ? "context" : "metrics";
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        if (auto err = parser.parse(t.data(), t.size()).get(doc)) {
          return Status::Invalid(fmt::format("{} is not valid JSON: {}", field, simdjson::error_message(err)), field);
        }
        (col.kind == Kind::kContextObject ? context_object : metrics_object) = t;
        break;
      }
    }
  }
  context.push_back('}');
  metrics.push_back('}');
  if (!context_object.empty()) {
    append_member(out, "context", context_object);
  } else if (context.size() > 2) {
    append_member(out, "context", context);
  }
  if (!metrics_object.empty()) {
    append_member(out, "metrics", metrics_object);
  } else if (metrics.size() > 2) {
    append_member(out, "metrics", metrics);
  }
  out.push_back('}');
  return out;
}

}  // namespace agentlearn
