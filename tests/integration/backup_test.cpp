// `agentlearn backup` as a user runs it, on SQLite and on a real PostgreSQL: a store filled
// with the SWE-bench executions, model sets (binary blobs), their activation history and
// settings is backed up, restored into a fresh store (SQLite: the file is the database;
// PostgreSQL: psql -f into an empty database) and every execution, model set, activation and
// setting is found there as it was; a server started on the restored store serves them. Bad
// usage is refused with a clear message and leaves no file behind.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "core/execution_json.hpp"
#include "http/client.hpp"
#include "server_process.hpp"
#include "store/open_store.hpp"

namespace agentlearn {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::describe;
using json = nlohmann::json;

struct Snapshot {
  std::vector<std::string> executions;  // "id|received_us|anomaly|<execution as JSON>"
  std::vector<std::string> model_sets;  // "version|created|rejected|reason|summary|blob"
  std::vector<std::string> activations;
  std::map<std::string, std::optional<std::string>> settings;
};

const std::vector<std::string> kSettingKeys = {"learning_mode", "backup.test.unicode", "backup.test.empty"};

Snapshot snapshot(const std::string& url) {
  Snapshot s;
  auto opened = open_store(url);
  EXPECT_TRUE(opened.ok()) << opened.status().message();
  if (!opened.ok()) return s;
  Store& store = **opened;
  int64_t after = 0;
  while (true) {
    size_t n = 0;
    Status st = store.executions().scan_executions(after, 5000, [&](const StoredRow& r) {
      after = r.id;
      ++n;
      s.executions.push_back(std::to_string(r.id) + "|" + std::to_string(r.received_us) + "|" +
                             (r.anomaly_score ? std::to_string(*r.anomaly_score) : "-") + "|" +
                             execution_to_json(r.execution));
    });
    EXPECT_TRUE(st.ok()) << st.message();
    if (!st.ok() || n == 0) break;
  }
  auto sets = store.models().list_model_sets();
  EXPECT_TRUE(sets.ok()) << sets.status().message();
  if (sets.ok()) {
    for (const ModelSetRecord& r : *sets) {
      auto full = store.models().load_model_set(r.version);
      EXPECT_TRUE(full.ok() && full->has_value()) << r.version;
      s.model_sets.push_back(r.version + "|" + std::to_string(r.created_us) + "|" + std::to_string(r.rejected) + "|" +
                             r.reason + "|" + r.summary_json + "|" + (full.ok() && *full ? (*full)->blob : "?"));
    }
  }
  auto acts = store.models().activations();
  EXPECT_TRUE(acts.ok());
  if (acts.ok()) {
    for (const ModelActivation& a : *acts) {
      s.activations.push_back(std::to_string(a.id) + "|" + a.version + "|" + std::to_string(a.activated_us) + "|" +
                              a.reason);
    }
  }
  for (const std::string& key : kSettingKeys) {
    auto v = store.settings().get_setting(key);
    EXPECT_TRUE(v.ok());
    s.settings[key] = v.ok() ? *v : std::optional<std::string>("?");
  }
  return s;
}

// Model sets, activations and settings written as the trainer and the mode switch write them.
void add_models_and_settings(const std::string& url) {
  auto opened = open_store(url);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Store& store = **opened;
  ASSERT_TRUE(store.migrate().ok());
  for (int i = 0; i < 3; ++i) {
    ModelSetRecord r;
    r.version = "v1." + std::to_string(i) + ".0_2026120" + std::to_string(i) + "T000000Z";
    r.created_us = 1764633600000000 + i;
    r.rejected = i == 1;
    r.reason = i == 1 ? "did not beat the active set" : "";
    r.summary_json = R"({"agent_selector":{"accuracy":0.)" + std::to_string(60 + i) + "}}";
    // A blob with every byte value, NULs included, and some size.
    for (int k = 0; k < 70000; ++k) r.blob.push_back(static_cast<char>((k * 31 + i) % 256));
    ASSERT_TRUE(store.models().save_model_set(r).ok());
    if (!r.rejected) {
      ModelActivation a;
      a.version = r.version;
      a.activated_us = r.created_us + 5;
      a.reason = i == 0 ? "first model set" : "promoted";
      ASSERT_TRUE(store.models().record_activation(a).ok());
    }
  }
  ASSERT_TRUE(store.settings().put_setting("learning_mode", R"({"mode":"explore","exploration_rate":0.2})").ok());
  ASSERT_TRUE(store.settings().put_setting("backup.test.unicode", "données – 日本語 ✓").ok());
  ASSERT_TRUE(store.settings().put_setting("backup.test.empty", "").ok());
}

class Backup : public testing::SwebenchCliTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(Backup, RestoredStoreHoldsEveryExecutionModelSetAndSetting) {
  const std::string backend = GetParam();
  const std::string source = backend == "sqlite" ? db("source.db") : testing::fresh_postgres_database();
  ASSERT_FALSE(source.empty());
  CliRun imported = run({"import", "--db", source, "--no-progress", testing::swebench_executions().string()});
  ASSERT_EQ(imported.code, 0) << describe(imported);
  add_models_and_settings(source);
  const Snapshot before = snapshot(source);
  // The oracle: every execution of the data file, by execution_id.
  std::set<std::string> expected_ids;
  {
    std::ifstream in(testing::swebench_executions());
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) expected_ids.insert(json::parse(line)["execution_id"].get<std::string>());
    }
  }
  ASSERT_EQ(expected_ids.size(), 12000u);
  ASSERT_EQ(before.executions.size(), 12000u);
  ASSERT_EQ(before.model_sets.size(), 3u);
  ASSERT_EQ(before.activations.size(), 2u);

  const fs::path file = dir_ / (backend == "sqlite" ? "backup.db" : "backup.sql");
  CliRun backup = run({"backup", "--db", source, "--json", file.string()});
  ASSERT_EQ(backup.code, 0) << describe(backup);
  json report = parse_json(backup);
  EXPECT_EQ(report["backend"], backend);
  EXPECT_EQ(report["path"], file.string());
  EXPECT_EQ(report["bytes"].get<uint64_t>(), fs::file_size(file));
  EXPECT_FALSE(fs::exists(file.string() + ".partial"));

  std::string restored;
  if (backend == "sqlite") {
    // Restoring is using the file as the database: a copy, so the backup itself stays as it was.
    EXPECT_FALSE(fs::exists(file.string() + "-wal")) << "the backup must be one self-contained file";
    fs::copy_file(file, dir_ / "restored.db");
    restored = db("restored.db");
  } else {
    restored = testing::fresh_postgres_database();
    ASSERT_FALSE(restored.empty());
    const std::string cmd = "psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d '" + restored + "' -f '" +
                            file.string() + "' >" + (dir_ / "psql.out").string() + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::slurp(dir_ / "psql.out");
  }
  const Snapshot after = snapshot(restored);
  EXPECT_EQ(after.executions.size(), before.executions.size());
  EXPECT_TRUE(after.executions == before.executions) << "the restored executions differ";
  std::set<std::string> restored_ids;
  for (const std::string& row : after.executions) {
    json e = json::parse(row.substr(row.find('{')));
    restored_ids.insert(e["execution_id"].get<std::string>());
  }
  EXPECT_TRUE(restored_ids == expected_ids);
  EXPECT_TRUE(after.model_sets == before.model_sets) << "the restored model sets (or their blobs) differ";
  EXPECT_EQ(after.activations, before.activations);
  EXPECT_EQ(after.settings, before.settings);
  EXPECT_EQ(*after.settings.at("backup.test.unicode"), "données – 日本語 ✓");

  // A server on the restored store migrates it (a no-op) and serves what was stored; it writes
  // new executions after the restored ones.
  testing::ServerProcess server(restored);
  ASSERT_TRUE(server.wait_ready()) << server.log();
  HttpClient c(server.url());
  auto perf = c.request(boost::beast::http::verb::get, "/agents/performance");
  ASSERT_TRUE(perf.ok());
  EXPECT_EQ(json::parse(perf->body)["total_executions"], 12000) << perf->body;
  auto rec = c.request(boost::beast::http::verb::post, "/agent/performance",
                       R"({"agent_id":"after-restore","task_id":"t","execution_time":1,"success":true})");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->status, 201) << rec->body;
  EXPECT_GT(json::parse(rec->body)["id"].get<int64_t>(), 12000) << rec->body;
}

INSTANTIATE_TEST_SUITE_P(Stores, Backup, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

using BackupUsage = testing::CliTest;

TEST_F(BackupUsage, RefusesToOverwriteAndLeavesNoPartialFile) {
  const std::string source = db("s.db");
  CliRun rec = run({"record", "--db", source, "--agent-id", "a1", "--task-id", "t1", "--execution-time", "2", "--success", "true"});
  ASSERT_EQ(rec.code, 0) << describe(rec);
  const fs::path file = dir_ / "b.db";
  testing::write_file(file, "precious");
  CliRun again = run({"backup", "--db", source, file.string()});
  EXPECT_EQ(again.code, 2) << describe(again);
  EXPECT_NE(again.err.find("exists"), std::string::npos) << describe(again);
  // Said once: "agentlearn backup: <file> exists", not "backup: backup: ...".
  EXPECT_EQ(again.err.find("backup: backup:"), std::string::npos) << describe(again);
  EXPECT_NE(again.err.find("agentlearn backup: " + file.string() + " exists"), std::string::npos) << describe(again);
  EXPECT_EQ(testing::slurp(file), "precious");
  CliRun forced = run({"backup", "--db", source, "--force", file.string()});
  EXPECT_EQ(forced.code, 0) << describe(forced);
  EXPECT_EQ(snapshot("sqlite:" + file.string()).executions.size(), 1u);
}

TEST_F(BackupUsage, BadStoresAndTargetsAreClearErrors) {
  CliRun missing = run({"backup", "--db", db("nope.db"), (dir_ / "x.db").string()});
  EXPECT_EQ(missing.code, 1) << describe(missing);
  EXPECT_NE(missing.err.find("no database file"), std::string::npos) << describe(missing);
  EXPECT_FALSE(fs::exists(dir_ / "nope.db")) << "a backup must not create the store it copies";
  EXPECT_FALSE(fs::exists(dir_ / "x.db"));
  EXPECT_FALSE(fs::exists(dir_ / "x.db.partial"));

  CliRun scheme = run({"backup", "--db", "mysql://h/db", (dir_ / "y.db").string()});
  EXPECT_EQ(scheme.code, 2) << describe(scheme);
  EXPECT_NE(scheme.err.find("postgresql://"), std::string::npos) << describe(scheme);

  CliRun nodir = run({"backup", "--db", db("s.db"), (dir_ / "no" / "such" / "dir.db").string()});
  EXPECT_EQ(nodir.code, 2) << describe(nodir);
  EXPECT_NE(nodir.err.find("does not exist"), std::string::npos) << describe(nodir);

  CliRun nofile = run({"backup", "--db", db("s.db")});
  EXPECT_EQ(nofile.code, 2) << describe(nofile);

  CliRun badpg = run({"backup", "--db", "postgresql://nobody@127.0.0.1:1/none", (dir_ / "z.sql").string()});
  EXPECT_EQ(badpg.code, 1) << describe(badpg);
  EXPECT_NE(badpg.err.find("pg_dump failed"), std::string::npos) << describe(badpg);
  EXPECT_FALSE(fs::exists(dir_ / "z.sql"));
  EXPECT_FALSE(fs::exists(dir_ / "z.sql.partial"));

  CliRun help = run({"backup", "--help"});
  EXPECT_EQ(help.code, 0) << describe(help);
  for (const char* words : {"online backup API", "pg_dump", "psql", "--force", "Exit status"}) {
    EXPECT_NE(help.out.find(words), std::string::npos) << words << "\n" << help.out;
  }
}

}  // namespace
}  // namespace agentlearn
