#include "ml/task_features.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "ml/byte_io.hpp"
#include "ml/outcome_scale.hpp"
#include "ml/tokenizer.hpp"

namespace agentlearn::ml {

namespace {

constexpr std::string_view kMagic = "AL-FEATURES";
// 2: the selector sees selector_columns() (format 1: every column). Same bytes otherwise.
// 3: text clusters follow the agents.
constexpr uint32_t kFormat = 3;
constexpr size_t kGroupWidth = FeatureBuilder::kAgentGroupWidth;

// Seeds that keep the hash spaces of the tables apart.
constexpr uint64_t kTypeSeed = 1, kContextSeed = 2, kAgentSeed = 3, kFoldSeed = 4, kClusterSeed = 5;

uint64_t combine(uint64_t a, uint64_t b) {
  uint64_t h = a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
  h ^= h >> 31;
  h *= 0x7fb5d329728ea185ull;
  h ^= h >> 27;
  return h;
}

uint64_t type_key(std::string_view task_type) { return stable_hash64(task_type, kTypeSeed); }
uint64_t context_key(std::string_view name, std::string_view value) {
  return combine(stable_hash64(name, kContextSeed), stable_hash64(value, kContextSeed));
}
uint64_t agent_key(std::string_view agent) { return stable_hash64(agent, kAgentSeed); }
// Text clusters share the context tables under their own hash space.
uint64_t cluster_key(int cluster) { return stable_hash64(std::to_string(cluster), kClusterSeed); }

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// A context member as the features see it: a number, a category, or absent.
struct ContextValue {
  bool present = false;
  bool is_number = false;
  double number = 0;
  std::string text;  // the category (numbers and booleans too, printed)
};

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

ContextValue read_value(simdjson::dom::element v) {
  ContextValue out;
  switch (v.type()) {
    case simdjson::dom::element_type::INT64:
      out = {true, true, static_cast<double>(v.get_int64().value_unsafe()), {}};
      break;
    case simdjson::dom::element_type::UINT64:
      out = {true, true, static_cast<double>(v.get_uint64().value_unsafe()), {}};
      break;
    case simdjson::dom::element_type::DOUBLE:
      out = {true, true, v.get_double().value_unsafe(), {}};
      break;
    case simdjson::dom::element_type::BOOL:
      out = {true, true, v.get_bool().value_unsafe() ? 1.0 : 0.0, {}};
      break;
    case simdjson::dom::element_type::STRING:
      out.present = true;
      out.text = std::string(v.get_string().value_unsafe());
      return out;
    default:
      return out;  // null, arrays and objects are not features
  }
  out.text = number_text(out.number);
  return out;
}

// Calls fn(name, value) for each member of a context object; anything else is no context.
template <typename Fn>
void for_each_member(std::string_view context_json, Fn&& fn) {
  if (context_json.size() < 2) return;
  simdjson::dom::element root;
  if (thread_parser().parse(context_json.data(), context_json.size()).get(root) != simdjson::SUCCESS) return;
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return;
  for (auto field : obj) fn(field.key, field.value);
}

double rate(const OutcomeTally& t, double prior, double m) { return (t.successes + m * prior) / (t.runs + m); }

}  // namespace

void OutcomeTally::add(bool success, double execution_time, std::optional<double> cost_usd) {
  runs += 1;
  successes += success ? 1 : 0;
  if (std::isfinite(execution_time) && execution_time >= 0) {
    time_runs += 1;
    sum_log_time += log_time(execution_time);
  }
  if (cost_usd && std::isfinite(*cost_usd) && *cost_usd >= 0) {
    cost_runs += 1;
    sum_log_cost += log_cost(*cost_usd);
  }
}

OutcomeTally OutcomeTally::minus(const OutcomeTally& part) const {
  OutcomeTally t;
  t.runs = runs - part.runs;
  t.successes = successes - part.successes;
  t.time_runs = time_runs - part.time_runs;
  t.sum_log_time = sum_log_time - part.sum_log_time;
  t.cost_runs = cost_runs - part.cost_runs;
  t.sum_log_cost = sum_log_cost - part.sum_log_cost;
  return t;
}

void OutcomeTally::write(ByteWriter& w) const {
  for (double v : {runs, successes, time_runs, sum_log_time, cost_runs, sum_log_cost}) w.put<double>(v);
}

OutcomeTally OutcomeTally::read(ByteReader& r) {
  OutcomeTally t;
  for (double* v : {&t.runs, &t.successes, &t.time_runs, &t.sum_log_time, &t.cost_runs, &t.sum_log_cost}) {
    *v = r.get<double>();
  }
  return t;
}

TaskQuery task_query_of(const Execution& e) {
  TaskQuery q;
  if (e.task_description) q.description = *e.task_description;
  if (e.task_type) q.task_type = *e.task_type;
  q.context_json = e.context_json;
  return q;
}

StatusOr<FeatureBuilder> FeatureBuilder::fit(std::span<const Execution> rows, const FeatureParams& params,
                                             std::span<const std::vector<float>> embeddings) {
  if (rows.empty()) return Status::Invalid("no training rows for the feature statistics");
  if (!(params.smoothing >= 0) || params.smoothing > 1e6) return Status::Invalid("smoothing must be in 0..1e6");
  if (params.max_context_keys < 0 || params.max_context_keys > 64) {
    return Status::Invalid("max_context_keys must be in 0..64");
  }
  if (params.training_folds < 2 || params.training_folds > 50) return Status::Invalid("training_folds must be in 2..50");
  if (params.text_dimensions < 0 || params.text_dimensions > 4096) {
    return Status::Invalid("text_dimensions must be in 0..4096");
  }
  if (params.text_clusters < 0 || params.text_clusters > 4096) return Status::Invalid("text_clusters must be in 0..4096");
  FeatureBuilder b;
  b.params_ = params;
  b.text_dims_ = params.text_dimensions;

  // The context schema: the most frequent members; numeric when nearly all values are.
  std::map<std::string, std::pair<size_t, size_t>> seen;  // name -> (occurrences, numeric)
  for (const auto& e : rows) {
    for_each_member(e.context_json, [&](std::string_view name, simdjson::dom::element v) {
      ContextValue cv = read_value(v);
      if (!cv.present) return;
      auto& s = seen[std::string(name)];
      ++s.first;
      s.second += cv.is_number;
    });
  }
  std::vector<std::pair<std::string, std::pair<size_t, size_t>>> keys(seen.begin(), seen.end());
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  size_t min_count = std::max<size_t>(2, rows.size() / 100);
  for (const auto& [name, counts] : keys) {
    if (b.context_keys_.size() >= static_cast<size_t>(params.max_context_keys)) break;
    if (counts.first < min_count) break;
    b.context_keys_.push_back({name, counts.second * 10 >= counts.first * 9});
  }

  // Text clusters of the distinct tasks (one vector per task_id: its first row's).
  if (params.text_clusters > 0 && !embeddings.empty()) {
    std::unordered_map<std::string_view, size_t> first;
    std::vector<std::vector<float>> task_vectors;
    for (size_t i = 0; i < rows.size() && i < embeddings.size(); ++i) {
      if (!embeddings[i].empty() && first.emplace(rows[i].task_id, i).second) task_vectors.push_back(embeddings[i]);
    }
    b.clusters_ = TextClusters::fit(task_vectors, params.text_clusters, stable_hash64("text_clusters", kClusterSeed));
  }
  std::map<std::string, double> agent_runs;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Execution& e = rows[i];
    b.stats_.add(e, b.context_keys_, i < embeddings.size() ? b.cluster_of(embeddings[i]) : 0);
    agent_runs[e.agent_id] += 1;
  }
  b.agents_.assign(agent_runs.begin(), agent_runs.end());
  b.compute_layout();
  return b;
}

uint64_t FeatureBuilder::cluster_of(std::span<const float> embedding) const {
  const int c = clusters_.assign(embedding);
  return c < 0 ? 0 : cluster_key(c);
}

void FeatureBuilder::Tallies::add(const Execution& e, const std::vector<ContextKey>& keys, uint64_t cluster) {
  const uint64_t a = agent_key(e.agent_id);
  const uint64_t t = type_key(e.task_type.value_or(""));
  auto add_to = [&](Table& table, uint64_t key) { table[key].add(e.success, e.execution_time, e.cost_usd); };
  global.add(e.success, e.execution_time, e.cost_usd);
  add_to(by_agent, a);
  if (e.task_type) {
    add_to(by_type, t);
    add_to(by_agent_type, combine(a, t));
  }
  for_each_member(e.context_json, [&](std::string_view name, simdjson::dom::element v) {
    for (const auto& k : keys) {
      if (k.numeric || k.name != name) continue;
      ContextValue cv = read_value(v);
      if (!cv.present) return;
      uint64_t ck = context_key(name, cv.text);
      add_to(by_context, ck);
      add_to(by_agent_context, combine(a, ck));
    }
  });
  if (cluster != 0) {
    add_to(by_context, cluster);
    add_to(by_agent_context, combine(a, cluster));
  }
}

void FeatureBuilder::compute_layout() {
  size_t categorical = 0, numeric = 0;
  for (const auto& k : context_keys_) (k.numeric ? numeric : categorical) += 1;
  if (clusters_.count() > 0) categorical += 1;
  task_width_ = kGroupWidth + numeric + kGroupWidth * categorical + 1 + static_cast<size_t>(text_dims_);
  agent_width_ = kGroupWidth * (2 + categorical);
  selector_columns_.clear();
  for (size_t j = 0; j < task_width_; ++j) selector_columns_.push_back(j);
  for (size_t j = task_width_; j < width(); ++j) {
    if (selector_all_columns_ || (j - task_width_) % kGroupWidth == 0) selector_columns_.push_back(j);  // success rates
  }
}

std::vector<std::string> FeatureBuilder::names() const {
  std::vector<std::string> out;
  auto group = [&](const std::string& g) {
    for (const char* s : {"success_rate", "log_runs", "mean_log_time", "mean_log_cost"}) out.push_back(g + "." + s);
  };
  group("type");
  for (const auto& k : context_keys_) {
    if (k.numeric) {
      out.push_back("context." + k.name);
    } else {
      group("context." + k.name);
    }
  }
  if (clusters_.count() > 0) group("text_cluster");
  out.push_back("text.log_tokens");
  for (int i = 0; i < text_dims_; ++i) out.push_back("text.embedding_" + std::to_string(i));
  group("agent");
  group("agent_type");
  for (const auto& k : context_keys_) {
    if (!k.numeric) group("agent_context." + k.name);
  }
  if (clusters_.count() > 0) group("agent_text_cluster");
  return out;
}

std::vector<int> FeatureBuilder::success_monotonicity() const {
  std::vector<int> out;
  for (const auto& name : names()) {
    out.push_back(name.size() > 13 && name.compare(name.size() - 13, 13, ".success_rate") == 0 ? 1 : 0);
  }
  return out;
}

std::vector<int> FeatureBuilder::selector_monotonicity() const {
  const std::vector<int> all = success_monotonicity();
  std::vector<int> out;
  for (size_t j : selector_columns_) out.push_back(all[j]);
  return out;
}

void FeatureBuilder::write_group(const Table& table, const Table* excluded, uint64_t key, double prior_rate,
                                 double prior_log_time, double prior_log_cost, float* out) const {
  static const OutcomeTally kNone;
  auto it = key == 0 ? table.end() : table.find(key);
  OutcomeTally t = it == table.end() ? kNone : it->second;
  if (excluded && key != 0) {
    auto ex = excluded->find(key);
    if (ex != excluded->end()) t = t.minus(ex->second);
  }
  const double m = params_.smoothing;
  out[0] = static_cast<float>(rate(t, prior_rate, m));
  out[1] = static_cast<float>(std::log1p(t.runs));
  out[2] = static_cast<float>((t.sum_log_time + m * prior_log_time) / (t.time_runs + m));
  out[3] = std::isfinite(prior_log_cost) || t.cost_runs > 0
               ? static_cast<float>((t.sum_log_cost + m * (std::isfinite(prior_log_cost) ? prior_log_cost : 0)) /
                                    (t.cost_runs + m))
               : kMissing;
}

namespace {
double global_log_time(const OutcomeTally& g) { return g.time_runs > 0 ? g.sum_log_time / g.time_runs : 0.0; }
double global_log_cost(const OutcomeTally& g) {
  return g.cost_runs > 0 ? g.sum_log_cost / g.cost_runs : std::numeric_limits<double>::quiet_NaN();
}
double global_rate(const OutcomeTally& g) { return g.runs > 0 ? g.successes / g.runs : 0.5; }
}  // namespace

PreparedTask FeatureBuilder::prepare(const TaskQuery& task, std::span<const float> embedding) const {
  return prepare(task, embedding, nullptr);
}

PreparedTask FeatureBuilder::prepare(const TaskQuery& task, std::span<const float> embedding,
                                     const Tallies* excluded) const {
  PreparedTask p;
  p.task_part.assign(task_width_, kMissing);
  const OutcomeTally global = excluded ? stats_.global.minus(excluded->global) : stats_.global;
  const double g_rate = global_rate(global), g_time = global_log_time(global), g_cost = global_log_cost(global);
  float* out = p.task_part.data();

  const uint64_t t = task.task_type.empty() ? 0 : type_key(task.task_type);
  write_group(stats_.by_type, excluded ? &excluded->by_type : nullptr, t, g_rate, g_time, g_cost, out);
  out += kGroupWidth;
  p.agent_group_keys.push_back(t);

  // Context members, in schema order.
  std::vector<ContextValue> values(context_keys_.size());
  for_each_member(task.context_json, [&](std::string_view name, simdjson::dom::element v) {
    for (size_t i = 0; i < context_keys_.size(); ++i) {
      if (context_keys_[i].name == name) values[i] = read_value(v);
    }
  });
  for (size_t i = 0; i < context_keys_.size(); ++i) {
    const ContextValue& cv = values[i];
    if (context_keys_[i].numeric) {
      *out++ = cv.present && cv.is_number && std::isfinite(cv.number) ? static_cast<float>(cv.number) : kMissing;
      continue;
    }
    uint64_t ck = cv.present ? context_key(context_keys_[i].name, cv.text) : 0;
    write_group(stats_.by_context, excluded ? &excluded->by_context : nullptr, ck, g_rate, g_time, g_cost, out);
    out += kGroupWidth;
    p.agent_group_keys.push_back(ck);
  }
  if (clusters_.count() > 0) {
    const uint64_t ck = cluster_of(embedding);
    write_group(stats_.by_context, excluded ? &excluded->by_context : nullptr, ck, g_rate, g_time, g_cost, out);
    out += kGroupWidth;
    p.agent_group_keys.push_back(ck);
  }

  *out++ = static_cast<float>(std::log1p(static_cast<double>(tokenize(task.description).size())));
  for (int i = 0; i < text_dims_; ++i) {
    size_t d = static_cast<size_t>(i);
    *out++ = d < embedding.size() ? embedding[d] : kMissing;
  }
  return p;
}

void FeatureBuilder::fill(const PreparedTask& task, std::string_view agent_id, std::span<float> out) const {
  fill(task, agent_id, out, nullptr);
}

void FeatureBuilder::fill(const PreparedTask& task, std::string_view agent_id, std::span<float> out,
                          const Tallies* excluded) const {
  std::copy(task.task_part.begin(), task.task_part.end(), out.begin());
  float* o = out.data() + task_width_;
  const OutcomeTally global = excluded ? stats_.global.minus(excluded->global) : stats_.global;
  const double g_rate = global_rate(global), g_time = global_log_time(global), g_cost = global_log_cost(global);
  const uint64_t a = agent_key(agent_id);
  write_group(stats_.by_agent, excluded ? &excluded->by_agent : nullptr, a, g_rate, g_time, g_cost, o);
  // The agent's own figures are the prior of its finer groups.
  const double a_rate = o[0], a_time = o[2], a_cost = std::isnan(o[3]) ? g_cost : o[3];
  o += kGroupWidth;
  // agent_group_keys[0] is the task type; the rest are categorical context values.
  for (size_t i = 0; i < task.agent_group_keys.size(); ++i) {
    uint64_t k = task.agent_group_keys[i];
    const Table& table = i == 0 ? stats_.by_agent_type : stats_.by_agent_context;
    const Table* ex = !excluded ? nullptr : i == 0 ? &excluded->by_agent_type : &excluded->by_agent_context;
    write_group(table, ex, k == 0 ? 0 : combine(a, k), a_rate, a_time, a_cost, o);
    o += kGroupWidth;
  }
}

size_t FeatureBuilder::training_fold(std::string_view task_id) const {
  return stable_hash64(task_id, kFoldSeed) % static_cast<size_t>(params_.training_folds);
}

DenseMatrix FeatureBuilder::training_rows(std::span<const Execution> rows,
                                          std::span<const std::vector<float>> embeddings) const {
  // Tasks are dealt to folds by a hash of their id; each fold's share of the statistics is
  // taken out of its own rows' features.
  auto fold_of = [this](const Execution& e) { return training_fold(e.task_id); };
  std::vector<Tallies> own(static_cast<size_t>(params_.training_folds));
  for (size_t i = 0; i < rows.size(); ++i) {
    own[fold_of(rows[i])].add(rows[i], context_keys_, i < embeddings.size() ? cluster_of(embeddings[i]) : 0);
  }
  DenseMatrix x(rows.size(), width());
  for (size_t i = 0; i < rows.size(); ++i) {
    const Tallies& ex = own[fold_of(rows[i])];
    std::span<const float> emb = i < embeddings.size() ? std::span<const float>(embeddings[i]) : std::span<const float>();
    fill(prepare(task_query_of(rows[i]), emb, &ex), rows[i].agent_id, x.row(i), &ex);
  }
  return x;
}

std::vector<float> FeatureBuilder::build(const TaskQuery& task, std::span<const float> embedding,
                                         std::string_view agent_id) const {
  std::vector<float> row(width());
  fill(prepare(task, embedding), agent_id, row);
  return row;
}

double FeatureBuilder::agent_success_rate(std::string_view agent_id, std::string_view task_type) const {
  const double m = params_.smoothing;
  static const OutcomeTally kNone;
  auto find = [](const Table& t, uint64_t k) -> const OutcomeTally& {
    auto it = t.find(k);
    return it == t.end() ? kNone : it->second;
  };
  const uint64_t a = agent_key(agent_id);
  double agent = rate(find(stats_.by_agent, a), global_rate(stats_.global), m);
  if (task_type.empty()) return agent;
  return rate(find(stats_.by_agent_type, combine(a, type_key(task_type))), agent, m);
}

std::string FeatureBuilder::agent_group_name(size_t group) const {
  if (group == 0) return "agent";
  if (group == 1) return "task_type";
  size_t categorical = 1;
  for (const auto& k : context_keys_) {
    if (!k.numeric && ++categorical == group) return "context." + k.name;
  }
  if (clusters_.count() > 0 && ++categorical == group) return "text_cluster";
  return {};
}

FeatureBuilder::GroupOutcome FeatureBuilder::agent_group(std::span<const float> row, size_t group) const {
  const float* g = row.data() + task_width_ + kGroupWidth * group;
  return {g[0], std::expm1(static_cast<double>(g[1])), g[2], g[3]};
}

std::string FeatureBuilder::serialize() const {
  ByteWriter w(kMagic, kFormat);
  w.put<double>(params_.smoothing);
  w.put<int32_t>(params_.max_context_keys);
  w.put<int32_t>(text_dims_);
  w.put<uint64_t>(context_keys_.size());
  for (const auto& k : context_keys_) {
    w.put_string(k.name);
    w.put<uint8_t>(k.numeric);
  }
  stats_.global.write(w);
  for (const Table* t : {&stats_.by_type, &stats_.by_context, &stats_.by_agent, &stats_.by_agent_type,
                         &stats_.by_agent_context}) {
    // Sorted by key so the same model always serializes to the same bytes.
    std::vector<std::pair<uint64_t, OutcomeTally>> sorted(t->begin(), t->end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    w.put<uint64_t>(sorted.size());
    for (const auto& [k, v] : sorted) {
      w.put<uint64_t>(k);
      v.write(w);
    }
  }
  w.put<uint64_t>(agents_.size());
  for (const auto& [name, runs] : agents_) {
    w.put_string(name);
    w.put<double>(runs);
  }
  w.put<int32_t>(params_.text_clusters);
  clusters_.write(w);
  return std::move(w).take();
}

StatusOr<FeatureBuilder> FeatureBuilder::deserialize(std::string_view blob) {
  ByteReader r(blob, kMagic, 1, kFormat);
  FeatureBuilder b;
  b.selector_all_columns_ = r.version() < 2;
  b.params_.smoothing = r.get<double>();
  b.params_.max_context_keys = r.get<int32_t>();
  b.text_dims_ = r.get<int32_t>();
  b.params_.text_dimensions = b.text_dims_;
  auto n_keys = r.get<uint64_t>();
  if (n_keys > 64 || b.text_dims_ < 0 || b.text_dims_ > 4096) r.fail("implausible layout");
  for (uint64_t i = 0; r.ok() && i < n_keys; ++i) {
    ContextKey k;
    k.name = r.get_string();
    k.numeric = r.get<uint8_t>() != 0;
    b.context_keys_.push_back(std::move(k));
  }
  b.stats_.global = OutcomeTally::read(r);
  for (Table* t : {&b.stats_.by_type, &b.stats_.by_context, &b.stats_.by_agent, &b.stats_.by_agent_type,
                   &b.stats_.by_agent_context}) {
    auto n = r.get<uint64_t>();
    if (n > r.remaining() / (8 + OutcomeTally::kSerializedBytes)) r.fail("table larger than the blob");
    for (uint64_t i = 0; r.ok() && i < n; ++i) {
      uint64_t k = r.get<uint64_t>();
      (*t)[k] = OutcomeTally::read(r);
    }
  }
  auto n_agents = r.get<uint64_t>();
  if (n_agents > r.remaining() / 16) r.fail("agent list larger than the blob");
  for (uint64_t i = 0; r.ok() && i < n_agents; ++i) {
    std::string name = r.get_string();
    double runs = r.get<double>();
    b.agents_.emplace_back(std::move(name), runs);
  }
  if (r.ok() && r.version() >= 3) {
    b.params_.text_clusters = r.get<int32_t>();
    auto clusters = TextClusters::read(r);
    if (!clusters.ok()) return clusters.status();
    b.clusters_ = std::move(*clusters);
  }
  if (auto st = r.finish(); !st.ok()) return st;
  b.compute_layout();
  return b;
}

}  // namespace agentlearn::ml
