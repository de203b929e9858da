#include "app/evaluation_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>

#include "app/csv_reader.hpp"
#include "app/import_sources.hpp"
#include "core/execution_json.hpp"
#include "core/time.hpp"

#include <nlohmann/json.hpp>

namespace agentlearn {

StatusOr<std::vector<Execution>> load_swebench_executions(const std::string& data_dir) {
  return load_executions_jsonl(data_dir + "/swebench-verified/executions.jsonl");
}

StatusOr<std::vector<Execution>> load_executions_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  std::vector<Execution> rows;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    auto e = parse_execution(line, 0);
    if (!e.ok()) return Status::Invalid(fmt::format("{} line {}: {}", path, line_no, e.status().message()));
    rows.push_back(std::move(*e));
  }
  if (rows.empty()) return Status::Invalid(path + " holds no executions");
  return rows;
}

StatusOr<ExecutionsFile> read_executions_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  std::unique_ptr<importing::RecordSource> source;
  if (ext == ".csv") {
    auto csv = importing::csv_source(in);
    if (!csv.ok()) return Status::Invalid(fmt::format("{}: {}", path, csv.status().message()));
    source = std::move(*csv);
  } else {
    source = importing::jsonl_source(in);
  }
  ExecutionsFile out;
  importing::SourceItem item;
  const int64_t now = now_us();
  while (source->next(item)) {
    ++out.tally.records;
    if (!item.error.ok()) {
      out.tally.reject(item.line, item.error);
      continue;
    }
    auto e = parse_execution(item.json, now);
    if (!e.ok()) {
      out.tally.reject(item.line, e.status());
      continue;
    }
    out.rows.push_back(std::move(*e));
  }
  if (out.rows.empty()) {
    std::string why = path + " holds no valid executions";
    if (!out.tally.errors.empty()) {
      const importing::Rejection& r = out.tally.errors.front();
      why += fmt::format(" ({} rejected; line {}: {})", out.tally.rejected, r.line, r.message);
    }
    return Status::Invalid(why);
  }
  return out;
}

StatusOr<LabelledTexts> load_debian_packages(const std::string& data_dir) {
  std::string path = data_dir + "/debian-packages/packages.csv";
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  CsvReader reader(in);
  std::vector<std::string> fields;
  auto first = reader.next(fields);
  if (!first.ok()) return first.status();
  if (!*first) return Status::Invalid(path + " is empty");
  auto column = [&](std::string_view name) -> int {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  int c_section = column("section"), c_short = column("short_description"), c_long = column("long_description"),
      c_split = column("split");
  if (c_section < 0 || c_short < 0 || c_long < 0 || c_split < 0) {
    return Status::Invalid(path + " lacks section, short_description, long_description or split");
  }
  LabelledTexts out;
  while (true) {
    auto more = reader.next(fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    std::string text = fields[static_cast<size_t>(c_short)] + " " + fields[static_cast<size_t>(c_long)];
    const std::string& label = fields[static_cast<size_t>(c_section)];
    if (fields[static_cast<size_t>(c_split)] == "test") {
      out.test_texts.push_back(std::move(text));
      out.test_labels.push_back(label);
    } else {
      out.train_texts.push_back(std::move(text));
      out.train_labels.push_back(label);
    }
  }
  if (out.train_texts.empty() || out.test_texts.empty()) return Status::Invalid(path + " lacks a train or test split");
  return out;
}

void withhold_task_type(std::vector<Execution>& rows) {
  for (Execution& e : rows) {
    if (!e.task_type) continue;
    auto context = nlohmann::json::parse(e.context_json, nullptr, false);
    if (context.is_object()) {
      for (auto it = context.begin(); it != context.end();) {
        it = it->is_string() && it->get<std::string>() == *e.task_type ? context.erase(it) : std::next(it);
      }
      e.context_json = context.dump();
    }
    e.task_type.reset();
  }
}

}  // namespace agentlearn
