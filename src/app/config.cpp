#include "app/config.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <filesystem>
#include <set>
#include <type_traits>

extern char** environ;

namespace agentlearn {
namespace {

std::string url_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

const std::string* env_get(const std::map<std::string, std::string>& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() || it->second.empty() ? nullptr : &it->second;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view item = s.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    pos = end + 1;
  }
  return out;
}

template <typename T>
StatusOr<T> parse_number(std::string_view text, const char* field) {
  T v{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return Status::Invalid(fmt::format("{} must be a number, got '{}'", field, text), field);
  }
  return v;
}

StatusOr<std::string> postgres_url_from_env(const std::map<std::string, std::string>& env) {
  const std::string* host = env_get(env, "POSTGRES_HOST");
  if (!host) return Status::NotFound("POSTGRES_HOST is not set");
  auto get = [&](const char* name, const char* fallback) {
    const std::string* v = env_get(env, name);
    return v ? *v : std::string(fallback);
  };
  std::string user = get("POSTGRES_USER", "postgres");
  std::string password = get("POSTGRES_PASSWORD", "");
  std::string url = "postgresql://" + url_escape(user);
  if (!password.empty()) url += ":" + url_escape(password);
  url += "@" + *host + ":" + get("POSTGRES_PORT", "5432") + "/" + url_escape(get("POSTGRES_DB", "agentlearn"));
  return url;
}

// models: {<model>: {parameters: {<key>: <scalar>}}}, every key checked against the table of
// ml/model_params.hpp so that a misspelt parameter is an error, not silently ignored.
Status apply_model_parameters(const std::string& path, const YAML::Node& models, ml::ModelParams& params) {
  if (!models || models.IsNull()) return Status::Ok();
  if (!models.IsMap()) return Status::Invalid(fmt::format("config file '{}': models must be a mapping", path), "models");
  for (const auto& model : models) {
    const std::string name = model.first.as<std::string>();
    const YAML::Node& body = model.second;
    if (body.IsNull()) continue;
    if (!body.IsMap()) {
      return Status::Invalid(fmt::format("config file '{}': models.{} must be a mapping", path, name), "models." + name);
    }
    for (const auto& part : body) {
      const std::string part_name = part.first.as<std::string>();
      if (part_name != "parameters") {
        return Status::Invalid(fmt::format("config file '{}': unknown key models.{}.{} (expected parameters)", path,
                                           name, part_name),
                               "models." + name + "." + part_name);
      }
      if (part.second.IsNull()) continue;
      if (!part.second.IsMap()) {
        return Status::Invalid(fmt::format("config file '{}': models.{}.parameters must be a mapping", path, name),
                               "models." + name + ".parameters");
      }
      for (const auto& kv : part.second) {
        const std::string key = kv.first.as<std::string>();
        if (!kv.second.IsScalar()) {
          return Status::Invalid(fmt::format("config file '{}': models.{}.parameters.{} must be a single value", path,
                                             name, key),
                                 "models." + name + ".parameters." + key);
        }
        Status st = ml::set_model_parameter(params, name, key, kv.second.Scalar());
        if (!st.ok()) return Status::Invalid(fmt::format("config file '{}': {}", path, st.message()), st.field());
      }
    }
  }
  return Status::Ok();
}

// An integer key in lo..hi (a YAML float or text is refused, naming the key).
Status whole_number(const std::string& path, const YAML::Node& root, const char* key, int lo, int hi, int& out) {
  if (!root[key]) return Status::Ok();
  int v = 0;
  try {
    v = root[key].as<int>();
  } catch (const YAML::Exception&) {
    return Status::Invalid(fmt::format("config file '{}': {} must be a whole number, got '{}'", path, key,
                                       YAML::Dump(root[key])),
                           key);
  }
  if (v < lo || v > hi) {
    return Status::Invalid(fmt::format("config file '{}': {} must be in {}..{}", path, key, lo, hi), key);
  }
  out = v;
  return Status::Ok();
}

// A true/false key.
Status boolean(const std::string& path, const YAML::Node& root, const char* key, bool& out) {
  if (!root[key]) return Status::Ok();
  try {
    out = root[key].as<bool>();
  } catch (const YAML::Exception&) {
    return Status::Invalid(fmt::format("config file '{}': {} must be true or false", path, key), key);
  }
  return Status::Ok();
}

// The learning loop's keys, each range-checked.
Status apply_learning(const std::string& path, const YAML::Node& root, LearningOptions& l) {
  auto number = [&](const char* key, double lo, double hi, double& out) -> Status {
    if (!root[key]) return Status::Ok();
    try {
      double v = root[key].as<double>();
      if (!(v >= lo && v <= hi)) {
        return Status::Invalid(fmt::format("config file '{}': {} must be in {}..{}", path, key, lo, hi), key);
      }
      out = v;
      return Status::Ok();
    } catch (const YAML::Exception&) {
      return Status::Invalid(fmt::format("config file '{}': {} must be a number, got '{}'", path, key,
                                         YAML::Dump(root[key])),
                             key);
    }
  };
  double threshold = static_cast<double>(l.retrain_threshold);
  double check = static_cast<double>(l.check_interval.count()) / 1000;
  double poll = static_cast<double>(l.model_poll_interval.count()) / 1000;
  double min_rows = static_cast<double>(l.min_training_executions);
  for (Status st : {number("retrain_threshold", 1, 1e9, threshold), number("check_interval", 0.01, 86400 * 7, check),
                    number("model_poll_interval", 0.01, 86400, poll),
                    number("model_accuracy_target", 0, 1, l.model_accuracy_target),
                    number("min_training_executions", 2, 1e9, min_rows),
                    number("holdout_fraction", 0.01, 0.9, l.holdout_fraction),
                    number("exploration_rate", 0, 1, l.exploration_rate)}) {
    if (!st.ok()) return st;
  }
  l.retrain_threshold = static_cast<uint64_t>(threshold);
  l.check_interval = std::chrono::milliseconds(static_cast<int64_t>(check * 1000));
  l.model_poll_interval = std::chrono::milliseconds(static_cast<int64_t>(poll * 1000));
  l.min_training_executions = static_cast<size_t>(min_rows);
  double ef = static_cast<double>(l.similarity.hnsw.ef_search);
  double recommend_k = static_cast<double>(l.similarity.recommend_k);
  for (Status st : {number("similarity_threshold", -1, 1, l.similarity.threshold),
                    number("similarity_ef_search", 1, 10000, ef),
                    number("similar_tasks_in_recommendations", 0, 100, recommend_k)}) {
    if (!st.ok()) return st;
  }
  l.similarity.hnsw.ef_search = static_cast<size_t>(ef);
  l.similarity.recommend_k = static_cast<size_t>(recommend_k);
  if (Status st = boolean(path, root, "similar_tasks", l.similarity.enabled); !st.ok()) return st;
  if (root["similarity_index_file"]) {
    try {
      l.similarity.index_file = root["similarity_index_file"].as<std::string>();
      l.similarity.index_file_set = true;
    } catch (const YAML::Exception&) {
      return Status::Invalid(fmt::format("config file '{}': similarity_index_file must be a path", path),
                             "similarity_index_file");
    }
  }
  for (Status st : {boolean(path, root, "train", l.train),
                    whole_number(path, root, "background_nice", 0, 19, l.background.nice),
                    boolean(path, root, "background_idle_class", l.background.idle_class)}) {
    if (!st.ok()) return st;
  }
  l.similarity.priority = l.background;
  return Status::Ok();
}

// Reads the YAML file into `c`; returns the file's `database`, if any, apart.
Status apply_yaml(const std::string& path, Config& c, std::optional<std::string>& database) {
  YAML::Node root;
  // yaml-cpp 0.7 leaks its read buffer when it throws on a directory: check first.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::Invalid(fmt::format("cannot read config file '{}': not a regular file", path), "config");
  }
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::Invalid(fmt::format("cannot read config file '{}'", path), "config");
  } catch (const YAML::Exception& e) {
    return Status::Invalid(fmt::format("config file '{}' is not valid YAML: {}", path, e.what()), "config");
  } catch (const std::exception& e) {  // e.g. a directory: the stream fails, not the parser
    return Status::Invalid(fmt::format("cannot read config file '{}': {}", path, e.what()), "config");
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap()) return Status::Invalid(fmt::format("config file '{}' must be a YAML mapping", path), "config");
  static const std::set<std::string> kKnown = {
      "host", "port", "database", "threads", "auth_tokens", "insecure", "public_metrics", "cors_origins", "allowed_hosts",
      "max_body_bytes", "max_batch_body_bytes", "max_batch_records", "idle_timeout_seconds", "access_log",
      "log_level", "vector_dimensions", "models", "retrain_threshold", "check_interval", "model_accuracy_target",
      "min_training_executions", "holdout_fraction", "exploration_rate", "model_poll_interval", "train",
      "similarity_threshold", "similarity_ef_search", "similar_tasks_in_recommendations", "similarity_index_file", "similar_tasks",
      "background_nice", "background_idle_class", "training_threads",
      "metrics_max_agents", "rollup_interval_ms", "rollup_max_lag_seconds", "analytics_cache_mb"};
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (!kKnown.count(key)) {
        // Keys of later releases (models, training) must not stop an older server.
        spdlog::warn("config file '{}': unknown key '{}' ignored", path, key);
      }
    }
    Status st;
    auto read = [&](const char* key, auto& out, const char* expected) {
      if (!st.ok() || !root[key]) return;
      try {
        out = root[key].as<std::remove_reference_t<decltype(out)>>();
      } catch (const YAML::Exception&) {
        st = Status::Invalid(fmt::format("config file '{}': {} must be {}, got '{}'", path, key, expected,
                                         YAML::Dump(root[key])),
                             key);
      }
    };
    std::string db;
    read("host", c.host, "an IP address");
    read("port", c.port, "a port number 0..65535");
    read("database", db, "a store URL");
    if (st.ok() && root["database"]) database = db;
    read("threads", c.threads, "an integer");
    read("auth_tokens", c.auth_tokens, "a list of TOKEN:ROLE strings");
    read("insecure", c.insecure, "true or false");
    read("public_metrics", c.public_metrics, "true or false");
    read("cors_origins", c.cors_origins, "a list of origins");
    read("allowed_hosts", c.allowed_hosts, "a list of host names");
    read("max_body_bytes", c.max_body_bytes, "a number of bytes");
    read("max_batch_body_bytes", c.max_batch_body_bytes, "a number of bytes");
    read("max_batch_records", c.max_batch_records, "a number");
    read("idle_timeout_seconds", c.idle_timeout_seconds, "a number of seconds");
    read("access_log", c.access_log, "true or false");
    read("log_level", c.log_level, "a log level");
    if (root["metrics_max_agents"]) {
      int64_t cap = 0;
      read("metrics_max_agents", cap, "an integer");
      if (st.ok() && (cap < 1 || cap > 100000)) {
        st = Status::Invalid(fmt::format("config file '{}': metrics_max_agents must be 1 to 100000, got {}", path, cap),
                             "metrics_max_agents");
      }
      if (st.ok()) c.metrics_max_agents = static_cast<size_t>(cap);
    }
    if (!st.ok()) return st;
    if (st = apply_learning(path, root, c.learning); !st.ok()) return st;
    if (root["vector_dimensions"]) {
      int dims = 0;
      read("vector_dimensions", dims, "an integer");
      if (!st.ok()) return st;
      if (dims < 8 || dims > 1024) {
        return Status::Invalid(fmt::format("config file '{}': vector_dimensions must be in 8..1024", path),
                               "vector_dimensions");
      }
      ml::set_vector_dimensions(c.models, dims);
    }
    if (st = apply_model_parameters(path, root["models"], c.models); !st.ok()) return st;
    if (st = whole_number(path, root, "training_threads", 1, 64, c.models.training_threads); !st.ok()) return st;
    if (st = whole_number(path, root, "rollup_interval_ms", 10, 600000, c.rollup_interval_ms); !st.ok()) return st;
    if (st = whole_number(path, root, "rollup_max_lag_seconds", 1, 604800, c.rollup_max_lag_seconds); !st.ok()) {
      return st;
    }
    if (st = whole_number(path, root, "analytics_cache_mb", 0, 65536, c.analytics_cache_mb); !st.ok()) return st;
  } catch (const YAML::Exception& e) {
    return Status::Invalid(fmt::format("config file '{}': {}", path, e.what()), "config");
  }
  return Status::Ok();
}

}  // namespace

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

bool is_loopback_host(const std::string& host) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

StatusOr<std::string> resolve_database(const std::optional<std::string>& flag, const std::string& config_path,
                                       const std::map<std::string, std::string>& env) {
  if (flag) return *flag;
  if (const std::string* db = env_get(env, "AGENTLEARN_DB")) return *db;
  if (auto pg = postgres_url_from_env(env); pg.ok()) return *pg;
  if (!config_path.empty()) {
    Config ignored;
    std::optional<std::string> database;
    if (Status st = apply_yaml(config_path, ignored, database); !st.ok()) return st;
    if (database) return *database;
  }
  return Config{}.database;
}

StatusOr<Config> load_config(const std::string& path, const std::map<std::string, std::string>& env,
                             const ConfigOverrides& flags) {
  Config c;
  std::optional<std::string> file_database;
  if (!path.empty()) {
    if (Status st = apply_yaml(path, c, file_database); !st.ok()) return st;
  }

  // Environment.
  if (const std::string* v = env_get(env, "AGENTLEARN_HOST")) c.host = *v;
  if (const std::string* v = env_get(env, "AGENTLEARN_PORT")) {
    auto p = parse_number<uint16_t>(*v, "AGENTLEARN_PORT");
    if (!p.ok()) return p.status();
    c.port = *p;
  }
  if (const std::string* v = env_get(env, "AGENTLEARN_THREADS")) {
    auto t = parse_number<int>(*v, "AGENTLEARN_THREADS");
    if (!t.ok()) return t.status();
    c.threads = *t;
  }
  if (const std::string* v = env_get(env, "AGENTLEARN_TOKENS")) {
    for (auto& t : split_list(*v)) c.auth_tokens.push_back(t);
  }
  if (const std::string* v = env_get(env, "AGENTLEARN_CORS_ORIGINS")) c.cors_origins = split_list(*v);
  if (const std::string* v = env_get(env, "AGENTLEARN_ALLOWED_HOSTS")) c.allowed_hosts = split_list(*v);
  if (const std::string* v = env_get(env, "AGENTLEARN_LOG_LEVEL")) c.log_level = *v;

  // Flags.
  if (flags.host) c.host = *flags.host;
  if (flags.port) c.port = *flags.port;
  if (flags.threads) c.threads = *flags.threads;
  for (auto& t : flags.auth_tokens) c.auth_tokens.push_back(t);
  if (flags.insecure) c.insecure = true;
  if (flags.public_metrics) c.public_metrics = true;
  if (!flags.cors_origins.empty()) c.cors_origins = flags.cors_origins;
  if (!flags.allowed_hosts.empty()) c.allowed_hosts = flags.allowed_hosts;
  if (flags.access_log) c.access_log = true;
  if (flags.log_level) c.log_level = *flags.log_level;

  // The store, in this order: --db, AGENTLEARN_DB, POSTGRES_*, the file, the default.
  if (flags.database) {
    c.database = *flags.database;
  } else if (const std::string* v = env_get(env, "AGENTLEARN_DB")) {
    c.database = *v;
  } else if (auto pg = postgres_url_from_env(env); pg.ok()) {
    c.database = *pg;
  } else if (file_database) {
    c.database = *file_database;
  }

  // Validation.
  if (c.host == "localhost") c.host = "127.0.0.1";
  boost::system::error_code ec;
  boost::asio::ip::make_address(c.host, ec);
  if (ec) return Status::Invalid(fmt::format("host must be an IP address, got '{}'", c.host), "host");
  if (c.threads < 0 || c.threads > 256) return Status::Invalid("threads must be between 0 and 256", "threads");
  if (c.max_body_bytes < 1024) return Status::Invalid("max_body_bytes must be at least 1024", "max_body_bytes");
  if (c.max_batch_body_bytes < 1024) {
    return Status::Invalid("max_batch_body_bytes must be at least 1024", "max_batch_body_bytes");
  }
  if (c.max_batch_records < 1) return Status::Invalid("max_batch_records must be at least 1", "max_batch_records");
  if (c.idle_timeout_seconds < 1) {
    return Status::Invalid("idle_timeout_seconds must be at least 1", "idle_timeout_seconds");
  }
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (!kLevels.count(c.log_level)) {
    return Status::Invalid(fmt::format("log_level must be one of trace, debug, info, warn, error, critical, off; got '{}'",
                                       c.log_level),
                           "log_level");
  }
  if (c.auth_tokens.empty() && !is_loopback_host(c.host) && !c.insecure) {
    return Status::Invalid(fmt::format("refusing to listen on {} without API tokens: give --auth-token TOKEN:ROLE "
                                       "(or AGENTLEARN_TOKENS), or --insecure to serve it open",
                                       c.host),
                           "host");
  }
  return c;
}

}  // namespace agentlearn
