#include "store/row_codec.hpp"

#include <charconv>
#include <cstring>
#include <system_error>

namespace agentlearn::store_codec {

std::string insert_column_list() {
  std::string out;
  for (const ExecutionColumn& c : kExecutionColumns) {
    out += c.name;
    out += ", ";
  }
  return out + kReceivedColumn;
}

std::string task_runs_sql(std::string_view key_condition) {
  std::string sql =
      "SELECT m.task_key, e.task_id, e.task_description, e.agent_id, e.success, "
      "e.execution_time FROM embeddings AS m JOIN executions AS e ON e.id = m.id "
      "WHERE m.task_key ";
  sql += key_condition;
  sql += " ORDER BY m.task_key, m.id";
  return sql;
}

std::string logged_outcomes_sql(std::string_view execution_join, std::string_view collate) {
  std::string sql = std::string("SELECT e.*, ") + kLogColumns + " FROM recommendation_log AS l ";
  sql += execution_join;
  sql += " ORDER BY l.created_us, l.recommendation_id";
  sql += collate;
  return sql;
}

TaskRuns& TaskRunsGrouper::task(uint64_t key, std::string_view task_id, std::string_view description) {
  auto [it, fresh] = slot_.emplace(key, out_.size());
  if (fresh) {
    TaskRuns& t = out_.emplace_back();
    t.task_key = key;
    t.task_id.assign(task_id);
    t.description.assign(description);
  }
  return out_[it->second];
}

std::string_view float_bytes(std::span<const float> v) {
  return {reinterpret_cast<const char*>(v.data()), v.size_bytes()};
}

void floats_from_bytes(std::string_view bytes, std::vector<float>& out) {
  size_t n = bytes.size() / sizeof(float);
  out.resize(n);
  if (n > 0) std::memcpy(out.data(), bytes.data(), n * sizeof(float));
}

void append_vector_text(std::string& out, std::span<const float> v, bool brackets) {
  out += brackets ? '[' : '{';
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v[i]);
    out.append(buf, end);
  }
  out += brackets ? ']' : '}';
}

bool parse_vector_text(std::string_view text, std::vector<float>& out) {
  out.clear();
  if (text.size() < 2) return false;
  text = text.substr(1, text.size() - 2);
  while (!text.empty()) {
    float f = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), f);
    if (ec != std::errc()) return false;
    out.push_back(f);
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    if (!text.empty()) {
      if (text.front() != ',') return false;
      text.remove_prefix(1);
    }
  }
  return true;
}

}  // namespace agentlearn::store_codec
