// Server configuration: defaults < YAML file < environment < flags, the store URL's order
// (--db, AGENTLEARN_DB, POSTGRES_*, the file), and validation errors that name the field.
#include "app/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace agentlearn {
namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("agentlearn-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write(const std::string& yaml, const std::string& name = "learning.yaml") {
    fs::path p = dir_ / name;
    std::ofstream(p) << yaml;
    return p.string();
  }

  Config load_ok(const std::string& path, const Env& env = {}, const ConfigOverrides& flags = {}) {
    auto c = load_config(path, env, flags);
    EXPECT_TRUE(c.ok()) << c.status().field() << ": " << c.status().message();
    return c.ok() ? *c : Config{};
  }

  // Expects a refusal blaming `field`; returns the message.
  std::string load_error(const std::string& path, const Env& env, const ConfigOverrides& flags,
                         const std::string& field) {
    auto c = load_config(path, env, flags);
    EXPECT_FALSE(c.ok());
    if (c.ok()) return {};
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(c.status().field(), field) << c.status().message();
    return c.status().message();
  }

  fs::path dir_;
};

constexpr const char* kFullYaml = R"(host: 127.0.0.2
port: 9000
database: sqlite:/tmp/from-file.db
threads: 4
auth_tokens:
  - file-tok:read
insecure: false
public_metrics: true
cors_origins: [https://file.example]
max_body_bytes: 2048
max_batch_body_bytes: 4096
max_batch_records: 50
idle_timeout_seconds: 30
access_log: true
log_level: debug
)";

TEST_F(ConfigTest, Defaults) {
  Config c = load_ok("");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.database, "sqlite:./data/agentlearn.db");
  EXPECT_EQ(c.threads, 0);
  EXPECT_TRUE(c.auth_tokens.empty());
  EXPECT_FALSE(c.insecure);
  EXPECT_FALSE(c.public_metrics);
  EXPECT_TRUE(c.cors_origins.empty());
  EXPECT_EQ(c.max_body_bytes, 1u << 20);
  EXPECT_EQ(c.max_batch_body_bytes, 16u << 20);
  EXPECT_EQ(c.max_batch_records, 10000u);
  EXPECT_EQ(c.idle_timeout_seconds, 60);
  EXPECT_FALSE(c.access_log);
  EXPECT_EQ(c.log_level, "info");
}

TEST_F(ConfigTest, FileOverridesDefaults) {
  Config c = load_ok(write(kFullYaml));
  EXPECT_EQ(c.host, "127.0.0.2");
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.database, "sqlite:/tmp/from-file.db");
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.auth_tokens, std::vector<std::string>{"file-tok:read"});
  EXPECT_TRUE(c.public_metrics);
  EXPECT_EQ(c.cors_origins, std::vector<std::string>{"https://file.example"});
  EXPECT_EQ(c.max_body_bytes, 2048u);
  EXPECT_EQ(c.max_batch_body_bytes, 4096u);
  EXPECT_EQ(c.max_batch_records, 50u);
  EXPECT_EQ(c.idle_timeout_seconds, 30);
  EXPECT_TRUE(c.access_log);
  EXPECT_EQ(c.log_level, "debug");
}

TEST_F(ConfigTest, PartialFileKeepsOtherDefaults) {
  Config c = load_ok(write("port: 9001\n"));
  EXPECT_EQ(c.port, 9001);
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.log_level, "info");
}

TEST_F(ConfigTest, EmptyFileAndUnknownKeysAreFine) {
  EXPECT_EQ(load_ok(write("")).port, 8080);
  EXPECT_EQ(load_ok(write("# only a comment\n")).port, 8080);
  Config c = load_ok(write("retrain_threshold: 100\nmodels:\n  agent_selector:\n    parameters: {n_estimators: 5}\n"
                           "port: 9002\n"));
  EXPECT_EQ(c.port, 9002);
}

TEST_F(ConfigTest, EnvironmentOverridesFile) {
  Env env = {{"AGENTLEARN_HOST", "127.0.0.3"},
             {"AGENTLEARN_PORT", "9100"},
             {"AGENTLEARN_THREADS", "8"},
             {"AGENTLEARN_TOKENS", "env-a:ingest, env-b:admin"},
             {"AGENTLEARN_CORS_ORIGINS", "https://a.example, https://b.example"},
             {"AGENTLEARN_LOG_LEVEL", "warn"},
             {"AGENTLEARN_DB", "sqlite:/tmp/from-env.db"}};
  Config c = load_ok(write(kFullYaml), env);
  EXPECT_EQ(c.host, "127.0.0.3");
  EXPECT_EQ(c.port, 9100);
  EXPECT_EQ(c.threads, 8);
  EXPECT_EQ(c.cors_origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.database, "sqlite:/tmp/from-env.db");
  // Tokens from every source are kept (a token list adds up rather than replaces).
  EXPECT_EQ(c.auth_tokens, (std::vector<std::string>{"file-tok:read", "env-a:ingest", "env-b:admin"}));
  // What the environment does not set stays as the file says.
  EXPECT_EQ(c.max_batch_records, 50u);
  EXPECT_TRUE(c.access_log);
}

TEST_F(ConfigTest, EmptyEnvironmentVariablesAreUnset) {
  Env env = {{"AGENTLEARN_HOST", ""}, {"AGENTLEARN_PORT", ""}, {"AGENTLEARN_LOG_LEVEL", ""}, {"AGENTLEARN_DB", ""},
             {"AGENTLEARN_TOKENS", ""}, {"POSTGRES_HOST", ""}};
  Config c = load_ok(write(kFullYaml), env);
  EXPECT_EQ(c.host, "127.0.0.2");
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.database, "sqlite:/tmp/from-file.db");
}

TEST_F(ConfigTest, FlagsOverrideEnvironment) {
  Env env = {{"AGENTLEARN_HOST", "127.0.0.3"}, {"AGENTLEARN_PORT", "9100"},
             {"AGENTLEARN_THREADS", "8"},       {"AGENTLEARN_LOG_LEVEL", "warn"},
             {"AGENTLEARN_TOKENS", "env-a:ingest"}, {"AGENTLEARN_CORS_ORIGINS", "https://a.example"},
             {"AGENTLEARN_DB", "sqlite:/tmp/from-env.db"}};
  ConfigOverrides flags;
  flags.host = "127.0.0.4";
  flags.port = 9200;
  flags.threads = 2;
  flags.log_level = "error";
  flags.auth_tokens = {"flag-tok:admin"};
  flags.cors_origins = {"https://flag.example"};
  flags.database = "sqlite:/tmp/from-flag.db";
  flags.insecure = true;
  flags.public_metrics = true;
  flags.access_log = true;
  Config c = load_ok(write(kFullYaml), env, flags);
  EXPECT_EQ(c.host, "127.0.0.4");
  EXPECT_EQ(c.port, 9200);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.log_level, "error");
  EXPECT_EQ(c.cors_origins, std::vector<std::string>{"https://flag.example"});
  EXPECT_EQ(c.database, "sqlite:/tmp/from-flag.db");
  EXPECT_TRUE(c.insecure);
  EXPECT_TRUE(c.public_metrics);
  EXPECT_TRUE(c.access_log);
  EXPECT_EQ(c.auth_tokens, (std::vector<std::string>{"file-tok:read", "env-a:ingest", "flag-tok:admin"}));
}

TEST_F(ConfigTest, UnsetFlagsLeaveLowerSourcesInForce) {
  Config c = load_ok(write(kFullYaml), {}, ConfigOverrides{});
  EXPECT_EQ(c.port, 9000);
  EXPECT_TRUE(c.public_metrics) << "an unset bool flag does not turn the file's true off";
  EXPECT_TRUE(c.access_log);
}

TEST_F(ConfigTest, LocalhostMeansLoopback) {
  ConfigOverrides flags;
  flags.host = "localhost";
  EXPECT_EQ(load_ok("", {}, flags).host, "127.0.0.1");
}

TEST_F(ConfigTest, Ipv6Hosts) {
  ConfigOverrides flags;
  flags.host = "::1";
  EXPECT_EQ(load_ok("", {}, flags).host, "::1");
  flags.host = "::";
  load_error("", {}, flags, "host");
  flags.auth_tokens = {"t:read"};
  EXPECT_EQ(load_ok("", {}, flags).host, "::");
}

// --- validation ---------------------------------------------------------------------------

TEST_F(ConfigTest, HostMustBeAnIpAddress) {
  ConfigOverrides flags;
  for (const char* bad : {"example.com", "300.1.1.1", "127.0.0.1:8080", "", "127.0.0.1 "}) {
    flags.host = bad;
    std::string msg = load_error("", {}, flags, "host");
    EXPECT_NE(msg.find("IP address"), std::string::npos) << bad << ": " << msg;
  }
  load_error(write("host: not-a-host\n"), {}, {}, "host");
  load_error("", {{"AGENTLEARN_HOST", "nope"}}, {}, "host");
}

TEST_F(ConfigTest, NonLoopbackNeedsTokensOrInsecure) {
  ConfigOverrides flags;
  flags.host = "0.0.0.0";
  std::string msg = load_error("", {}, flags, "host");
  EXPECT_NE(msg.find("--insecure"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--auth-token"), std::string::npos) << msg;

  flags.insecure = true;
  EXPECT_EQ(load_ok("", {}, flags).host, "0.0.0.0");

  flags.insecure = false;
  EXPECT_EQ(load_ok("", {{"AGENTLEARN_TOKENS", "t:read"}}, flags).host, "0.0.0.0");
  EXPECT_EQ(load_ok(write("auth_tokens: [t:admin]\n"), {}, flags).host, "0.0.0.0");
  EXPECT_EQ(load_ok(write("insecure: true\n"), {}, flags).host, "0.0.0.0");

  flags.host = "10.1.2.3";
  load_error("", {}, flags, "host");
  flags.host = "127.5.6.7";
  EXPECT_EQ(load_ok("", {}, flags).host, "127.5.6.7") << "all of 127.0.0.0/8 is loopback";
}

TEST_F(ConfigTest, LogLevel) {
  for (const char* ok : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    ConfigOverrides flags;
    flags.log_level = ok;
    EXPECT_EQ(load_ok("", {}, flags).log_level, ok);
  }
  ConfigOverrides flags;
  flags.log_level = "verbose";
  std::string msg = load_error("", {}, flags, "log_level");
  EXPECT_NE(msg.find("verbose"), std::string::npos) << msg;
  load_error("", {{"AGENTLEARN_LOG_LEVEL", "INFO"}}, {}, "log_level");
  load_error(write("log_level: loud\n"), {}, {}, "log_level");
}

TEST_F(ConfigTest, BadPortInEnvironment) {
  for (const char* bad : {"abc", "80x", "-1", "70000", "65536", " 80", "8080.0"}) {
    std::string msg = load_error("", {{"AGENTLEARN_PORT", bad}}, {}, "AGENTLEARN_PORT");
    EXPECT_NE(msg.find(bad), std::string::npos) << msg;
  }
  EXPECT_EQ(load_ok("", {{"AGENTLEARN_PORT", "65535"}}).port, 65535);
  EXPECT_EQ(load_ok("", {{"AGENTLEARN_PORT", "0"}}).port, 0) << "0: any free port";
}

TEST_F(ConfigTest, BadThreads) {
  load_error("", {{"AGENTLEARN_THREADS", "many"}}, {}, "AGENTLEARN_THREADS");
  ConfigOverrides flags;
  flags.threads = 257;
  load_error("", {}, flags, "threads");
  flags.threads = -1;
  load_error("", {}, flags, "threads");
  flags.threads = 256;
  EXPECT_EQ(load_ok("", {}, flags).threads, 256);
  load_error(write("threads: -3\n"), {}, {}, "threads");
}

TEST_F(ConfigTest, BadLimits) {
  load_error(write("max_body_bytes: 1023\n"), {}, {}, "max_body_bytes");
  EXPECT_EQ(load_ok(write("max_body_bytes: 1024\n")).max_body_bytes, 1024u);
  load_error(write("max_batch_body_bytes: 10\n"), {}, {}, "max_batch_body_bytes");
  load_error(write("max_batch_records: 0\n"), {}, {}, "max_batch_records");
  load_error(write("idle_timeout_seconds: 0\n"), {}, {}, "idle_timeout_seconds");
}

TEST_F(ConfigTest, UnreadableFile) {
  std::string path = (dir_ / "missing.yaml").string();
  std::string msg = load_error(path, {}, {}, "config");
  EXPECT_NE(msg.find("cannot read"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

// `--config` naming a directory: an error that names the file, not an escaping exception.
TEST_F(ConfigTest, DirectoryAsConfigFileIsAnError) {
  StatusOr<Config> r = Status::Internal("not run");
  EXPECT_NO_THROW(r = load_config(dir_.string(), {}, {}));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "config") << r.status().message();
  StatusOr<std::string> db = Status::Internal("not run");
  EXPECT_NO_THROW(db = resolve_database(std::nullopt, dir_.string(), {}));
  EXPECT_FALSE(db.ok());
}

TEST_F(ConfigTest, InvalidYaml) {
  std::string path = write("port: [1,\nhost: x\n");
  std::string msg = load_error(path, {}, {}, "config");
  EXPECT_NE(msg.find("not valid YAML"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

TEST_F(ConfigTest, YamlThatIsNotAMapping) {
  std::string msg = load_error(write("- a\n- b\n"), {}, {}, "config");
  EXPECT_NE(msg.find("mapping"), std::string::npos) << msg;
  load_error(write("just a string\n"), {}, {}, "config");
}

TEST_F(ConfigTest, WrongTypesInYamlNameTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  for (const Case& c : {Case{"port: abc\n", "port"}, Case{"port: 70000\n", "port"}, Case{"port: -1\n", "port"},
                        Case{"threads: lots\n", "threads"}, Case{"insecure: maybe\n", "insecure"},
                        Case{"auth_tokens: t:read\n", "auth_tokens"},
                        Case{"max_body_bytes: -5\n", "max_body_bytes"}}) {
    auto r = load_config(write(c.yaml), {}, {});
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.yaml;
    const bool names_key = r.status().field() == c.key || r.status().message().find(c.key) != std::string::npos;
    EXPECT_TRUE(names_key) << c.yaml << " -> field '" << r.status().field() << "': " << r.status().message();
  }
}

// --- the store URL ------------------------------------------------------------------------

TEST_F(ConfigTest, ResolveDatabaseOrder) {
  const std::string file = write("database: sqlite:/tmp/from-file.db\n");
  const Env pg = {{"POSTGRES_HOST", "db.internal"}};
  const Env both = {{"POSTGRES_HOST", "db.internal"}, {"AGENTLEARN_DB", "sqlite:/tmp/from-env.db"}};

  EXPECT_EQ(*resolve_database(std::string("postgresql://flag/x"), file, both), "postgresql://flag/x");
  EXPECT_EQ(*resolve_database(std::nullopt, file, both), "sqlite:/tmp/from-env.db");
  EXPECT_EQ(*resolve_database(std::nullopt, file, pg), "postgresql://postgres@db.internal:5432/agentlearn");
  EXPECT_EQ(*resolve_database(std::nullopt, file, {}), "sqlite:/tmp/from-file.db");
  EXPECT_EQ(*resolve_database(std::nullopt, "", {}), "sqlite:./data/agentlearn.db");
  EXPECT_EQ(*resolve_database(std::nullopt, write("port: 9000\n", "nodb.yaml"), {}), "sqlite:./data/agentlearn.db");
}

TEST_F(ConfigTest, LoadConfigPicksTheSameDatabase) {
  const std::string file = write("database: sqlite:/tmp/from-file.db\n");
  for (const Env& env : {Env{}, Env{{"POSTGRES_HOST", "h"}}, Env{{"AGENTLEARN_DB", "sqlite:/e.db"}},
                         Env{{"POSTGRES_HOST", "h"}, {"AGENTLEARN_DB", "sqlite:/e.db"}}}) {
    for (const std::string& path : {file, std::string()}) {
      for (bool with_flag : {false, true}) {
        ConfigOverrides flags;
        std::optional<std::string> flag;
        if (with_flag) flags.database = flag = "sqlite:/flag.db";
        auto resolved = resolve_database(flag, path, env);
        ASSERT_TRUE(resolved.ok());
        EXPECT_EQ(load_ok(path, env, flags).database, *resolved);
      }
    }
  }
}

TEST_F(ConfigTest, PostgresUrlFromEnvironment) {
  Env env = {{"POSTGRES_HOST", "10.0.0.5"},
             {"POSTGRES_PORT", "6543"},
             {"POSTGRES_USER", "learn er"},
             {"POSTGRES_PASSWORD", "p@ss:w/rd%?#&"},
             {"POSTGRES_DB", "agent/learn"}};
  EXPECT_EQ(*resolve_database(std::nullopt, "", env),
            "postgresql://learn%20er:p%40ss%3Aw%2Frd%25%3F%23%26@10.0.0.5:6543/agent%2Flearn");
  env.erase("POSTGRES_PASSWORD");
  env.erase("POSTGRES_PORT");
  EXPECT_EQ(*resolve_database(std::nullopt, "", env), "postgresql://learn%20er@10.0.0.5:5432/agent%2Flearn");
  env["POSTGRES_PASSWORD"] = "";
  EXPECT_EQ(*resolve_database(std::nullopt, "", env), "postgresql://learn%20er@10.0.0.5:5432/agent%2Flearn")
      << "an empty password is no password";
  // POSTGRES_* without POSTGRES_HOST do not pick PostgreSQL.
  EXPECT_EQ(*resolve_database(std::nullopt, "", {{"POSTGRES_USER", "u"}, {"POSTGRES_DB", "d"}}),
            "sqlite:./data/agentlearn.db");
}

TEST_F(ConfigTest, ResolveDatabaseReadsTheFileOnlyWhenNeeded) {
  const std::string missing = (dir_ / "missing.yaml").string();
  auto r = resolve_database(std::nullopt, missing, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "config");
  EXPECT_TRUE(resolve_database(std::string("sqlite::memory:"), missing, {}).ok());
  EXPECT_TRUE(resolve_database(std::nullopt, missing, {{"AGENTLEARN_DB", "sqlite::memory:"}}).ok());
}

TEST(IsLoopbackHost, Addresses) {
  for (const char* yes : {"127.0.0.1", "127.255.255.254", "127.0.0.2", "::1"}) EXPECT_TRUE(is_loopback_host(yes)) << yes;
  for (const char* no : {"0.0.0.0", "10.0.0.1", "192.168.1.1", "::", "localhost", "", "128.0.0.1", "::2"}) {
    EXPECT_FALSE(is_loopback_host(no)) << no;
  }
}

TEST(ProcessEnvironment, ReadsTheRealEnvironment) {
  ASSERT_EQ(::setenv("AGENTLEARN_CONFIG_TEST_VAR", "a=b", 1), 0);
  auto env = process_environment();
  ::unsetenv("AGENTLEARN_CONFIG_TEST_VAR");
  ASSERT_TRUE(env.count("AGENTLEARN_CONFIG_TEST_VAR"));
  EXPECT_EQ(env["AGENTLEARN_CONFIG_TEST_VAR"], "a=b") << "only the first '=' separates name and value";
}

TEST_F(ConfigTest, ModelParametersComeFromTheFile) {
  Config c = load_ok(write(R"(vector_dimensions: 64
models:
  agent_selector:
    parameters:
      n_estimators: 250
      max_depth: 6
  performance_predictor:
    parameters:
      learning_rate: 0.05
  embedding_generator:
    parameters:
      dm: true
  anomaly_detector:
    parameters: {max_samples: 128, contamination: 0.01}
)"));
  EXPECT_EQ(c.models.agent_selector.n_estimators, 250);
  EXPECT_EQ(c.models.agent_selector.max_depth, 6);
  EXPECT_DOUBLE_EQ(c.models.performance_predictor.learning_rate, 0.05);
  EXPECT_TRUE(c.models.embedding_generator.doc2vec.dm);
  EXPECT_EQ(c.models.embedding_generator.dimensions, 64);
  EXPECT_LE(c.models.features.text_dimensions, 64);
  EXPECT_EQ(c.models.anomaly_detector.forest.max_samples, 128);
  EXPECT_DOUBLE_EQ(c.models.anomaly_detector.contamination, 0.01);
  // Untouched parameters keep their defaults.
  EXPECT_EQ(c.models.task_classifier.hidden_units, ml::ModelParams{}.task_classifier.hidden_units);
}

TEST_F(ConfigTest, BadModelParametersAreRefusedNamingTheKey) {
  load_error(write("models:\n  agent_selector:\n    parameters:\n      n_estimators: many\n"), {}, {},
             "models.agent_selector.parameters.n_estimators");
  load_error(write("models:\n  agent_selector:\n    parameters:\n      n_trees: 5\n"), {}, {},
             "models.agent_selector.parameters.n_trees");
  load_error(write("models:\n  random_forest:\n    parameters:\n      n_estimators: 5\n"), {}, {},
             "models.random_forest");
  load_error(write("models:\n  agent_selector:\n    params:\n      n_estimators: 5\n"), {}, {},
             "models.agent_selector.params");
  load_error(write("models:\n  agent_selector:\n    parameters:\n      max_depth: [1, 2]\n"), {}, {},
             "models.agent_selector.parameters.max_depth");
  load_error(write("models:\n  embedding_generator:\n    parameters:\n      dm: maybe\n"), {}, {},
             "models.embedding_generator.parameters.dm");
  load_error(write("vector_dimensions: 3\n"), {}, {}, "vector_dimensions");
  load_error(write("models: [1]\n"), {}, {}, "models");
}

TEST_F(ConfigTest, EveryModelParameterIsDocumentedInTheExampleConfig) {
  std::ifstream in(std::string(AGENTLEARN_SOURCE_DIR) + "/deploy/learning.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  for (const auto& p : ml::list_model_parameters(ml::ModelParams{})) {
    const std::string line = "\n      " + p.name + ": " + p.value;
    bool found = false;
    for (size_t at = text.find(line); at != std::string::npos && !found; at = text.find(line, at + 1)) {
      char next = at + line.size() < text.size() ? text[at + line.size()] : '\n';
      found = next == ' ' || next == '\n';
    }
    EXPECT_TRUE(found)
        << "deploy/learning.yaml lacks models." << p.model << ".parameters." << p.name << ": " << p.value;
  }
  // And the example file loads as it is.
  Config c = load_ok(std::string(AGENTLEARN_SOURCE_DIR) + "/deploy/learning.yaml");
  EXPECT_EQ(c.models.agent_selector.n_estimators, 100);
}

}  // namespace
}  // namespace agentlearn

namespace agentlearn {
namespace {

// The background threads' priority and the training threads: defaults, set, refused.
TEST_F(ConfigTest, BackgroundPriorityAndTrainingThreads) {
  Config d = load_ok("");
  EXPECT_FALSE(d.learning.background.idle_class);
  EXPECT_EQ(d.learning.background.nice, BackgroundPriority{}.nice);
  Config c = load_ok(write("background_nice: 12\nbackground_idle_class: true\ntraining_threads: 1\n"));
  EXPECT_EQ(c.learning.background.nice, 12);
  EXPECT_TRUE(c.learning.background.idle_class);
  // The embedder gets the trainer's priority.
  EXPECT_EQ(c.learning.similarity.priority.nice, 12);
  EXPECT_TRUE(c.learning.similarity.priority.idle_class);
  EXPECT_EQ(c.models.training_threads, 1);
  load_error(write("background_nice: 20\n"), {}, {}, "background_nice");
  load_error(write("background_nice: -1\n"), {}, {}, "background_nice");
  load_error(write("background_nice: 2.5\n"), {}, {}, "background_nice");
  load_error(write("background_nice: low\n"), {}, {}, "background_nice");
  load_error(write("background_idle_class: sometimes\n"), {}, {}, "background_idle_class");
  load_error(write("training_threads: 0\n"), {}, {}, "training_threads");
  load_error(write("training_threads: 65\n"), {}, {}, "training_threads");
  load_error(write("training_threads: [2]\n"), {}, {}, "training_threads");
  // The example config states the defaults.
  Config example = load_ok(std::string(AGENTLEARN_SOURCE_DIR) + "/deploy/learning.yaml");
  EXPECT_EQ(example.learning.background.nice, BackgroundPriority{}.nice);
  EXPECT_EQ(example.learning.background.idle_class, BackgroundPriority{}.idle_class);
  EXPECT_EQ(example.models.training_threads, ml::ModelParams{}.training_threads);
}

}  // namespace
}  // namespace agentlearn

namespace agentlearn {
namespace {

TEST_F(ConfigTest, MetricsMaxAgents) {
  EXPECT_EQ(load_ok("").metrics_max_agents, 100u);
  EXPECT_EQ(load_ok(write("metrics_max_agents: 7\n")).metrics_max_agents, 7u);
  EXPECT_EQ(load_ok(write("metrics_max_agents: 100000\n")).metrics_max_agents, 100000u);
  for (const char* bad : {"metrics_max_agents: 0\n", "metrics_max_agents: -3\n", "metrics_max_agents: lots\n",
                          "metrics_max_agents: 100001\n", "metrics_max_agents: 2.5\n"}) {
    load_error(write(bad), {}, {}, "metrics_max_agents");
  }
}

TEST_F(ConfigTest, AnalyticsRollup) {
  Config d = load_ok("");
  EXPECT_EQ(d.rollup_interval_ms, 1000);
  EXPECT_EQ(d.rollup_max_lag_seconds, 300);
  Config c = load_ok(write("rollup_interval_ms: 250\nrollup_max_lag_seconds: 2\n"));
  EXPECT_EQ(c.rollup_interval_ms, 250);
  EXPECT_EQ(c.rollup_max_lag_seconds, 2);
  load_error(write("rollup_interval_ms: 5\n"), {}, {}, "rollup_interval_ms");
  load_error(write("rollup_interval_ms: soon\n"), {}, {}, "rollup_interval_ms");
  load_error(write("rollup_max_lag_seconds: 0\n"), {}, {}, "rollup_max_lag_seconds");
  load_error(write("rollup_max_lag_seconds: 604801\n"), {}, {}, "rollup_max_lag_seconds");
  EXPECT_EQ(d.analytics_cache_mb, 256);
  EXPECT_EQ(load_ok(write("analytics_cache_mb: 0\n")).analytics_cache_mb, 0);
  load_error(write("analytics_cache_mb: -1\n"), {}, {}, "analytics_cache_mb");
  load_error(write("analytics_cache_mb: 65537\n"), {}, {}, "analytics_cache_mb");
  load_error(write("analytics_cache_mb: lots\n"), {}, {}, "analytics_cache_mb");
}

}  // namespace
}  // namespace agentlearn
