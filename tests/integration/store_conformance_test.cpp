// One behavioural suite for every Store backend: the same tests run against SQLite, a real
// PostgreSQL (AGENTLEARN_TEST_PG_URL, started by scripts/start-postgres) and PGlite's
// PostgreSQL with pgvector through the same PostgresStore (AGENTLEARN_TEST_PGLITE_URL, started
// by scripts/start-pglite). Each test gets its own database (a fresh file, a freshly created
// PostgreSQL database, or PGlite's one database emptied and locked for it), so tests are
// independent and can run in any order. PostgreSQL cases fail, never skip, when the
// variable is unset: a silently skipped backend is an untested backend. So do PGlite cases
// (scripts/test starts PGlite and sets AGENTLEARN_TEST_PGLITE_URL).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server_process.hpp"
#include "service/analytics.hpp"
#include "store/open_store.hpp"
#include "store/row_codec.hpp"
#include "store/store.hpp"

namespace agentlearn {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPgEnv = "AGENTLEARN_TEST_PG_URL";
constexpr const char* kNasty = "'; DROP TABLE executions; --";

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// --- PostgreSQL admin helpers ---------------------------------------------------------------

std::string pg_admin_url() {
  const char* v = std::getenv(kPgEnv);
  return v != nullptr ? v : "";
}

#define REQUIRE_PG_URL()                                                                     \
  do {                                                                                       \
    if (pg_admin_url().empty()) {                                                            \
      FAIL() << kPgEnv << " is not set. Start a server with `scripts/start-postgres start "  \
             << "DIR` and export its URL; PostgreSQL tests never skip.";                     \
    }                                                                                        \
  } while (0)

// Replaces the database name in a postgresql:// URL.
std::string with_database(const std::string& url, const std::string& db) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t query = url.find('?', start);
  size_t slash = url.find('/', start);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  std::string head = url.substr(0, std::min(slash, query));
  return head + "/" + db + tail;
}

class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url) : c_(PQconnectdb(url.c_str())) {}
  ~PgAdmin() { PQfinish(c_); }
  bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
  std::string error() const { return PQerrorMessage(c_); }
  // Runs a statement; returns the first column of the first row, or an error text.
  std::string exec(const std::string& sql, std::vector<std::string> params = {}) {
    std::vector<const char*> p;
    for (auto& s : params) p.push_back(s.c_str());
    PGresult* r = PQexecParams(c_, sql.c_str(), static_cast<int>(p.size()), nullptr, p.data(),
                               nullptr, nullptr, 0);
    std::string out;
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      out = std::string("ERROR: ") + PQresultErrorMessage(r);
    } else if (PQntuples(r) > 0 && PQnfields(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
    return out;
  }

 private:
  PGconn* c_;
};

std::string unique_db_name() {
  static std::atomic<int> counter{0};
  return "agentlearn_t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(Clock::now().time_since_epoch().count() % 1000000);
}

// A loopback port with nothing listening on it.
int closed_port() { return testing::free_port(); }

// A database made for one test and dropped after it.
class PgTestDatabase {
 public:
  PgTestDatabase() = default;
  ~PgTestDatabase() { drop(); }
  // Returns an error text, or "" on success.
  std::string create() {
    admin_ = std::make_unique<PgAdmin>(pg_admin_url());
    if (!admin_->ok()) return "cannot connect to " + pg_admin_url() + ": " + admin_->error();
    name_ = unique_db_name();
    std::string r = admin_->exec("CREATE DATABASE " + name_);  // our own identifier
    if (r.rfind("ERROR", 0) == 0) return r;
    url_ = with_database(pg_admin_url(), name_);
    return "";
  }
  void drop() {
    if (admin_ && !name_.empty()) admin_->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    name_.clear();
  }
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  PgAdmin& admin() { return *admin_; }

 private:
  std::unique_ptr<PgAdmin> admin_;
  std::string name_;
  std::string url_;
};

// --- test data --------------------------------------------------------------------------------

Execution make_execution(int i) {
  Execution e;
  e.agent_id = "agent-" + std::to_string(i % 3);
  e.task_id = "task-" + std::to_string(i);
  e.execution_time = 0.5 + i * 0.25;
  e.success = i % 2 == 0;
  e.task_type = (i % 4 == 0) ? std::optional<std::string>("code") : std::optional<std::string>("docs");
  e.task_description = "describe task " + std::to_string(i);
  e.execution_id = "exec-" + std::to_string(i);
  e.context_json = R"({"difficulty":)" + std::to_string(i % 5) + "}";
  e.metrics_json = R"({"cost_usd":0.01,"tokens_in":)" + std::to_string(i) + "}";
  e.cost_usd = 0.01;
  e.timestamp_us = 1'732'406'400'000'000 + int64_t{i} * 1'000'000;
  e.content_hash = "hash-" + std::to_string(i);
  return e;
}

// Every awkward thing a client may send: Unicode, quotes, SQL and COPY metacharacters.
Execution tricky_execution() {
  Execution e;
  e.agent_id = "agënt-🚀-\"quoted\"-'single'";
  e.task_id = kNasty;
  e.execution_time = 0.1 + 0.2;  // not exactly representable: must round-trip bit for bit
  e.success = true;
  e.task_description = std::string("line1\nline2\r\n\ttabbed \\backslash\\ \\N {braces}, \"q\" ") +
                       kNasty + " 日本語 NULL";
  e.task_type = "type,with,commas";
  e.execution_id = std::string("id-") + kNasty + "-\\-\"-{}-NULL";
  e.recommendation_id = "rec-ü-\t-\\N";
  e.context_json = R"({"repo":"a\"b\\c","nested":{"k":[1,2,{"x":"日本"}]},"sql":"'; DROP TABLE executions; --"})";
  e.metrics_json = R"({"cost_usd":1.5e-7,"tokens_in":12,"note":"tab\there"})";
  e.cost_usd = 1.5e-7;
  e.timestamp_us = -86'400'000'001;  // before 1970
  e.timestamp_defaulted = true;
  e.content_hash = "0123456789abcdef0123456789abcdef";
  return e;
}

// Nothing optional.
Execution minimal_execution() {
  Execution e;
  e.agent_id = "minimal";
  e.task_id = "t";
  e.execution_time = 0;
  e.success = false;
  e.context_json = "{}";
  e.metrics_json = "{}";
  e.timestamp_us = 0;
  e.content_hash = "h";
  return e;
}

// Every byte value (0 first) in the first 512 bytes, then pseudo-random bytes.
std::string every_byte_blob(size_t size) {
  std::string blob(size, '\0');
  uint32_t x = 12345;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1664525u + 1013904223u;
    blob[i] = static_cast<char>(i < 512 ? i & 0xff : x >> 24);
  }
  return blob;
}

RecommendationLogRow log_row(std::string recommendation_id, int64_t created_us) {
  RecommendationLogRow r;
  r.recommendation_id = std::move(recommendation_id);
  r.created_us = created_us;
  r.mode = "online";
  r.model_version = "v1.0.0_20261124T080000Z";
  r.chosen_agent = "agent-1";
  r.model_agent = "agent-1";
  r.rules_agent = "agent-2";
  r.propensity = 0.95 + 0.05 / 3;  // not exactly representable: must round-trip bit for bit
  return r;
}

void expect_same_json(const std::string& a, const std::string& b) {
  // PostgreSQL's JSONB re-serialises (key order, spacing); the content must be equal.
  EXPECT_EQ(nlohmann::json::parse(a), nlohmann::json::parse(b)) << a << " vs " << b;
}

void expect_same_execution(const Execution& got, const Execution& want) {
  EXPECT_EQ(got.agent_id, want.agent_id);
  EXPECT_EQ(got.task_id, want.task_id);
  EXPECT_EQ(got.execution_time, want.execution_time);
  EXPECT_EQ(got.success, want.success);
  EXPECT_EQ(got.task_description, want.task_description);
  EXPECT_EQ(got.task_type, want.task_type);
  EXPECT_EQ(got.execution_id, want.execution_id);
  EXPECT_EQ(got.recommendation_id, want.recommendation_id);
  expect_same_json(got.context_json, want.context_json);
  expect_same_json(got.metrics_json, want.metrics_json);
  EXPECT_EQ(got.cost_usd, want.cost_usd);
  EXPECT_EQ(got.timestamp_us, want.timestamp_us);
  EXPECT_EQ(got.timestamp_defaulted, want.timestamp_defaulted);
  EXPECT_EQ(got.content_hash, want.content_hash);
}

// --- the suite ----------------------------------------------------------------------------------

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      REQUIRE_PG_URL();
      std::string err = pg_db_.create();
      ASSERT_EQ(err, "") << "cannot create a test database";
      url_ = pg_db_.url();
    } else if (GetParam() == "pglite") {
      url_ = testing::pglite_url();
      ASSERT_EQ(testing::reset_pglite_database(), "") << "cannot empty the PGlite database";
    } else {
      dir_ = std::filesystem::temp_directory_path() / ("agentlearn_store_" + unique_db_name());
      // A directory that does not exist yet: the store creates it.
      url_ = "sqlite:" + (dir_ / "nested" / "store.db").string();
    }
    store_ = open();
    ASSERT_NE(store_, nullptr);
    Status st = store_->migrate();
    ASSERT_TRUE(st.ok()) << st.message();
    auto w = store_->executions().open_writer();
    ASSERT_TRUE(w.ok()) << w.status().message();
    writer_ = std::move(w).value();
  }

  void TearDown() override {
    writer_.reset();
    store_.reset();
    pg_db_.drop();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::unique_ptr<Store> open() {
    auto s = open_store(url_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // Inserts one group in its own transaction; returns the ids.
  std::vector<int64_t> insert_group(const std::vector<Execution>& rows, int64_t received_us = 42) {
    std::vector<const Execution*> ptrs;
    for (const auto& r : rows) ptrs.push_back(&r);
    std::vector<int64_t> ids;
    Status st = writer_->begin();
    EXPECT_TRUE(st.ok()) << st.message();
    st = writer_->insert(ptrs, received_us, ids);
    EXPECT_TRUE(st.ok()) << st.message();
    st = writer_->journal(ids, received_us);  // as the group writer does
    EXPECT_TRUE(st.ok()) << st.message();
    st = writer_->commit();
    EXPECT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(ids.size(), rows.size());
    return ids;
  }

  int64_t count() {
    auto c = store_->executions().count_executions();
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? *c : -1;
  }

  std::vector<StoredRow> all_rows() {
    std::vector<StoredRow> rows;
    Status st = store_->executions().scan_executions(0, 0, [&](const StoredRow& r) { rows.push_back(r); });
    EXPECT_TRUE(st.ok()) << st.message();
    return rows;
  }

  // The runs an analytics answer counts under `f` (the cells and the edge rows together).
  size_t count_stats(const ExecutionFilter& f) {
    auto perf = Analytics(store_->analytics()).performance(f);
    EXPECT_TRUE(perf.ok()) << perf.status().message();
    return perf.ok() ? perf->total_executions : 0;
  }

  bool is_pg() const { return GetParam() != "sqlite"; }

  // Runs one statement on the test database behind the store's back. Returns the first column
  // of the first row ("" when there is none), or an "ERROR: ..." text.
  std::string admin_sql(const std::string& sql) {
    if (is_pg()) return PgAdmin(url_).exec(sql);
    sqlite3* db = nullptr;
    std::string out;
    int rc = sqlite3_open((dir_ / "nested" / "store.db").c_str(), &db);
    sqlite3_stmt* s = nullptr;
    if (rc == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
    }
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      out = std::string("ERROR: ") + sqlite3_errmsg(db);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }

  std::vector<int64_t> anomaly_ids(std::optional<int64_t> since_us, size_t limit) {
    std::vector<int64_t> ids;
    Status st = store_->executions().scan_anomalies(since_us, limit, [&](const StoredRow& r) {
      EXPECT_EQ(r.anomaly, std::optional<bool>(true));
      ids.push_back(r.id);
    });
    EXPECT_TRUE(st.ok()) << st.message();
    return ids;
  }

  std::string url_;
  std::filesystem::path dir_;
  PgTestDatabase pg_db_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreWriter> writer_;
};

TEST_P(StoreConformance, ReportsItsBackend) {
  EXPECT_STREQ(store_->backend(), is_pg() ? "postgresql" : "sqlite");
  Status st = store_->ping();
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST_P(StoreConformance, MigrateTwiceIsHarmless) {
  insert_group({make_execution(1)});
  ASSERT_TRUE(store_->settings().put_setting("learning_mode", "apprentice").ok());
  Status st = store_->migrate();
  ASSERT_TRUE(st.ok()) << st.message();
  auto other = open();
  ASSERT_NE(other, nullptr);
  st = other->migrate();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(count(), 1);
  auto mode = other->settings().get_setting("learning_mode");
  ASSERT_TRUE(mode.ok()) << mode.status().message();
  EXPECT_EQ(*mode, "apprentice");
  EXPECT_EQ(admin_sql("SELECT count(*) FROM schema_migrations"), "7");
}

TEST_P(StoreConformance, UpgradesAStoreThatHasOnlyTheFirstMigration) {
  Execution flagged = make_execution(1);
  flagged.anomaly_score = 0.875;
  flagged.anomaly = true;
  auto ids = insert_group({flagged, make_execution(2)});
  writer_.reset();
  store_.reset();
  // Back to the schema as migration 1 left it (as a store of an early release has it).
  for (const char* sql : {"DROP TABLE analytics_journal", "DROP TABLE analytics_rollup",
                          "ALTER TABLE rollup_cells RENAME TO analytics_cells",
                          "DELETE FROM schema_migrations WHERE version = 7",
                          "ALTER TABLE executions DROP COLUMN out_of_range",
                          "DELETE FROM schema_migrations WHERE version = 6",
                          "DROP INDEX executions_flagged_ts_idx", "DELETE FROM schema_migrations WHERE version = 5",
                          "DROP TABLE analytics_cells", "DELETE FROM schema_migrations WHERE version = 4",
                          "DROP TABLE embeddings", "DELETE FROM schema_migrations WHERE version = 3",
                          "DROP INDEX executions_anomaly_idx", "DROP INDEX executions_recommendation_idx",
                          "DROP TABLE model_sets", "DROP TABLE model_activations", "DROP TABLE settings",
                          "DROP TABLE recommendation_log", "DELETE FROM schema_migrations WHERE version = 2"}) {
    ASSERT_EQ(admin_sql(sql), "") << sql;
  }
  ASSERT_EQ(admin_sql("SELECT max(version) FROM schema_migrations"), "1");
  store_ = open();
  ASSERT_NE(store_, nullptr);
  EXPECT_FALSE(store_->settings().get_setting("learning_mode").ok()) << "the settings table is still there";

  Status st = store_->migrate();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(admin_sql("SELECT max(version) FROM schema_migrations"), "7");
  // Migration 6 filled the analytics cells: both executions, at every level.
  EXPECT_EQ(admin_sql("SELECT sum(executions) FROM rollup_cells WHERE scope = 3"),
            std::to_string(2 * analytics::kLevels));
  std::string new_indexes = "('executions_anomaly_idx', 'executions_recommendation_idx')";
  EXPECT_EQ(admin_sql(is_pg() ? "SELECT count(*) FROM pg_indexes WHERE indexname IN " + new_indexes
                              : "SELECT count(*) FROM sqlite_master WHERE name IN " + new_indexes),
            "2");
  EXPECT_EQ(count(), 2);
  EXPECT_EQ(anomaly_ids(std::nullopt, 0), std::vector<int64_t>{ids[0]});
  ASSERT_TRUE(store_->settings().put_setting("learning_mode", "online").ok());
  EXPECT_EQ(*store_->settings().get_setting("learning_mode"), "online");
  ModelSetRecord set;
  set.version = "v1.0.0_20261124T080000Z";
  set.summary_json = "{}";
  set.blob = every_byte_blob(1000);
  ASSERT_TRUE(store_->models().save_model_set(set).ok());
  auto loaded = store_->models().load_model_set(set.version);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->blob, set.blob);
  // Migration 3 ran on the upgraded store too: embeddings can be stored.
  EmbeddingRecord e{ids[0], "task-1", task_key("task-1"), "emb-1", std::vector<float>(256, 0.5f)};
  EXPECT_TRUE(store_->embeddings().save_embeddings({&e, 1}).ok());
}

// Task embeddings (migration 3): upsert by execution, scans by version, what is left to
// embed, task runs by key, and floats back bit for bit.
TEST_P(StoreConformance, StoresEmbeddingsAndAnswersTheSimilarTaskQueries) {
  const bool pgvector = GetParam() == "pglite";  // the test PostgreSQL has no pgvector
  EXPECT_EQ(store_->embeddings().vector_storage(), pgvector ? VectorStorage::kPgvector
                                      : is_pg() ? VectorStorage::kRealArray
                                                : VectorStorage::kBlob);
  std::vector<Execution> rows;
  for (int i = 0; i < 6; ++i) rows.push_back(make_execution(i));
  rows[1].task_id = rows[0].task_id;  // one task, two runs
  rows[5].task_description.reset();   // never embedded
  auto ids = insert_group(rows);
  auto vec = [](float seed) {
    std::vector<float> v(256);
    for (size_t i = 0; i < v.size(); ++i) v[i] = seed / static_cast<float>(i + 3);  // not round
    return v;
  };
  std::vector<size_t> left;
  auto unembedded = [&](const std::string& version, int64_t after) {
    left.clear();
    Status st = store_->embeddings().scan_unembedded(version, after, 0, [&](const TextRow& r) {
      left.push_back(static_cast<size_t>(std::find(ids.begin(), ids.end(), r.id) - ids.begin()));
      EXPECT_EQ(r.description, *rows[left.back()].task_description);
      EXPECT_EQ(r.task_id, rows[left.back()].task_id);
    });
    EXPECT_TRUE(st.ok()) << st.message();
    return left;
  };
  EXPECT_EQ(unembedded("v1", 0), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(unembedded("v1", ids[2]), (std::vector<size_t>{3, 4}));

  std::vector<EmbeddingRecord> batch;
  for (size_t i = 0; i < 4; ++i) {
    batch.push_back({ids[i], rows[i].task_id, task_key(rows[i].task_id), "v1", vec(static_cast<float>(i + 1))});
  }
  ASSERT_TRUE(store_->embeddings().save_embeddings(batch).ok());
  EXPECT_EQ(unembedded("v1", 0), (std::vector<size_t>{4}));
  EXPECT_EQ(unembedded("v2", 0), (std::vector<size_t>{0, 1, 2, 3, 4}));
  auto tasks = store_->embeddings().count_embedded_tasks("v1", ids[3]);
  ASSERT_TRUE(tasks.ok());
  EXPECT_EQ(*tasks, 3) << "four runs of three tasks";
  EXPECT_EQ(*store_->embeddings().count_embedded_tasks("v1", ids[0]), 1);
  EXPECT_EQ(*store_->embeddings().count_embedded_tasks("v2", ids[3]), 0);

  std::vector<EmbeddingRecord> scanned;
  ASSERT_TRUE(store_->embeddings().scan_embeddings("v1", 0, 0, [&](const EmbeddingRecord& r) { scanned.push_back(r); }).ok());
  ASSERT_EQ(scanned.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(scanned[i].id, ids[i]);
    EXPECT_EQ(scanned[i].task_id, rows[i].task_id);
    EXPECT_EQ(scanned[i].task_key, task_key(rows[i].task_id));
    EXPECT_EQ(scanned[i].vector, batch[i].vector) << "floats round-trip exactly";
  }
  scanned.clear();
  ASSERT_TRUE(store_->embeddings().scan_embeddings("v1", ids[1], 1, [&](const EmbeddingRecord& r) { scanned.push_back(r); }).ok());
  ASSERT_EQ(scanned.size(), 1u);
  EXPECT_EQ(scanned[0].id, ids[2]);

  // A new version replaces a run's vector in place.
  EmbeddingRecord again{ids[0], rows[0].task_id, task_key(rows[0].task_id), "v2", vec(9)};
  ASSERT_TRUE(store_->embeddings().save_embeddings({&again, 1}).ok());
  EXPECT_EQ(unembedded("v2", 0), (std::vector<size_t>{1, 2, 3, 4}));
  EXPECT_EQ(*store_->embeddings().count_embedded_tasks("v1", ids[3]), 3) << "task 0's other run still has v1";

  std::vector<uint64_t> keys = {task_key(rows[0].task_id), task_key(rows[3].task_id), task_key("unknown")};
  auto runs = store_->embeddings().task_runs(keys, 1);
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 2u);
  for (const TaskRuns& t : *runs) {
    if (t.task_id == rows[0].task_id) {
      EXPECT_EQ(t.total_runs, 2u);
      ASSERT_EQ(t.runs.size(), 1u) << "at most runs_per_task listed";
      EXPECT_EQ(t.runs[0].agent_id, rows[0].agent_id) << "the first run first";
      EXPECT_EQ(t.description, *rows[0].task_description);
    } else {
      EXPECT_EQ(t.task_id, rows[3].task_id);
      EXPECT_EQ(t.total_runs, 1u);
      EXPECT_EQ(t.runs[0].success, rows[3].success);
      EXPECT_EQ(t.runs[0].execution_time, rows[3].execution_time);
    }
  }
  // Only pgvector searches in the database: one match per task, nearest first.
  auto near = store_->embeddings().nearest_tasks(vec(3), "v1", 3);
  if (!pgvector) {
    EXPECT_EQ(near.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(near.status().field(), "source");
    return;
  }
  ASSERT_TRUE(near.ok()) << near.status().message();
  // v1 vectors now: run 1 (task 0), runs 2 and 3; all vec(k) point the same way (cosine 1).
  ASSERT_EQ(near->size(), 3u);
  std::set<uint64_t> keys_found;
  for (const TaskMatch& m : *near) {
    keys_found.insert(m.task_key);
    EXPECT_NEAR(m.similarity, 1.0, 1e-5);
  }
  EXPECT_EQ(keys_found, (std::set<uint64_t>{task_key(rows[0].task_id), task_key(rows[2].task_id),
                                            task_key(rows[3].task_id)}));
  EXPECT_TRUE(store_->embeddings().nearest_tasks(vec(3), "v3", 3)->empty()) << "another version: nothing";
}

TEST_P(StoreConformance, RoundTripsEveryFieldInSmallAndLargeGroups) {
  // Size 3 takes the small-group path, 600 the bulk path (COPY on PostgreSQL).
  int seq = 0;
  for (size_t size : {size_t{3}, size_t{600}}) {
    SCOPED_TRACE("group of " + std::to_string(size));
    std::vector<Execution> rows;
    for (size_t i = 0; i < size; ++i) rows.push_back(make_execution(seq++));
    Execution tricky = tricky_execution();
    tricky.execution_id = *tricky.execution_id + std::to_string(size);
    rows[size / 2] = tricky;
    rows[size - 1] = minimal_execution();
    int64_t received = 1'700'000'000'123'456 + static_cast<int64_t>(size);
    auto ids = insert_group(rows, received);
    ASSERT_EQ(ids.size(), size);
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), size) << "ids must be distinct";

    std::map<int64_t, StoredRow> by_id;
    for (auto& r : all_rows()) by_id[r.id] = r;
    for (size_t i = 0; i < size; ++i) {
      auto it = by_id.find(ids[i]);
      ASSERT_NE(it, by_id.end()) << "row " << i;
      expect_same_execution(it->second.execution, rows[i]);
      EXPECT_EQ(it->second.received_us, received);
      EXPECT_FALSE(it->second.anomaly_score.has_value());
      EXPECT_FALSE(it->second.anomaly.has_value());
    }

    auto found = store_->executions().find_execution(*tricky.execution_id);
    ASSERT_TRUE(found.ok()) << found.status().message();
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->id, ids[size / 2]);
    expect_same_execution((*found)->execution, tricky);
  }
  EXPECT_EQ(count(), 603);
}

TEST_P(StoreConformance, FindExistingReportsIdAndHash) {
  std::vector<Execution> rows = {make_execution(1), tricky_execution(), make_execution(2)};
  auto ids = insert_group(rows);
  ASSERT_EQ(ids.size(), 3u);

  ASSERT_TRUE(writer_->begin().ok());
  std::vector<std::string> query = {"exec-1", "missing", *rows[1].execution_id, kNasty, "exec-1",
                                    "exec-2"};
  std::vector<std::optional<ExistingExecution>> out;
  Status st = writer_->find_existing(query, out);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(out.size(), query.size());
  ASSERT_TRUE(out[0].has_value());
  EXPECT_EQ(out[0]->id, ids[0]);
  EXPECT_EQ(out[0]->content_hash, "hash-1");
  EXPECT_FALSE(out[1].has_value());
  ASSERT_TRUE(out[2].has_value());
  EXPECT_EQ(out[2]->id, ids[1]);
  EXPECT_EQ(out[2]->content_hash, rows[1].content_hash);
  EXPECT_FALSE(out[3].has_value());
  ASSERT_TRUE(out[4].has_value());
  EXPECT_EQ(out[4]->id, ids[0]);
  ASSERT_TRUE(out[5].has_value());
  EXPECT_EQ(out[5]->id, ids[2]);

  st = writer_->find_existing({}, out);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(out.empty());
  writer_->rollback();
}

// Adding a column to the executions touches a migration and the row codec only: every column
// of the schema is one the codec writes (kExecutionColumns, then received_us) or one it
// leaves to others by design (id, drawn by the store; out_of_range, set by migration 6), and
// what a scan reads back is exactly what an insert writes, behind the id.
TEST_P(StoreConformance, TheRowCodecCoversEveryColumnOfTheSchema) {
  std::vector<std::string> want = {"id", "out_of_range", store_codec::kReceivedColumn};
  for (const auto& c : store_codec::kExecutionColumns) want.push_back(c.name);
  std::sort(want.begin(), want.end());
  std::string joined;
  for (const auto& w : want) joined += (joined.empty() ? "" : ",") + w;
  const std::string sql = is_pg() ? "SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute "
                                    "WHERE attrelid = 'executions'::regclass AND attnum > 0 AND NOT attisdropped"
                                  : "SELECT group_concat(name, ',') FROM "
                                    "(SELECT name FROM pragma_table_info('executions') ORDER BY name)";
  EXPECT_EQ(admin_sql(sql), joined);
  EXPECT_EQ(std::string(store_codec::kStoredRowColumns), "id, " + store_codec::insert_column_list());
  EXPECT_EQ(store_codec::kStoredRowColumnCount, static_cast<int>(want.size()) - 1);  // all but out_of_range
}

// A downgrade to the release before the analytics journal: refused while executions are
// pending (nothing changes), then, once they are rolled up, the schema is version 6 again
// with the cells complete under their old name; migrating again brings the journal back and
// every figure with it.
TEST_P(StoreConformance, ADrainedStoreGoesBackToTheSchemaBeforeTheJournal) {
  insert_group({make_execution(1), make_execution(2), make_execution(3)});
  Status st = store_->downgrade_schema(6);
  EXPECT_EQ(st.code(), StatusCode::kConflict) << st.message();
  EXPECT_NE(st.message().find("1 analytics journal rows are pending"), std::string::npos) << st.message();
  EXPECT_EQ(admin_sql("SELECT max(version) FROM schema_migrations"), "7");
  EXPECT_EQ(store_->downgrade_schema(5).code(), StatusCode::kInvalidArgument);
  auto round = store_->analytics().roll_up({});
  ASSERT_TRUE(round.ok()) << round.status().message();
  EXPECT_EQ(round->executions, 3u);
  writer_.reset();
  st = store_->downgrade_schema(6);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(admin_sql("SELECT max(version) FROM schema_migrations"), "6");
  EXPECT_EQ(admin_sql("SELECT sum(executions) FROM analytics_cells WHERE scope = 3"),
            std::to_string(3 * analytics::kLevels));
  EXPECT_EQ(admin_sql("SELECT count(*) FROM analytics_journal").rfind("ERROR", 0), 0u) << "the journal is gone";
  EXPECT_TRUE(store_->downgrade_schema(6).ok()) << "there already: nothing to do";
  st = store_->migrate();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(admin_sql("SELECT max(version) FROM schema_migrations"), "7");
  EXPECT_EQ(admin_sql("SELECT sum(executions) FROM rollup_cells WHERE scope = 3"),
            std::to_string(3 * analytics::kLevels));
  auto w = store_->executions().open_writer();
  ASSERT_TRUE(w.ok()) << w.status().message();
  writer_ = std::move(w).value();
  insert_group({make_execution(4)});
  auto perf = Analytics(store_->analytics()).performance({});
  ASSERT_TRUE(perf.ok()) << perf.status().message();
  EXPECT_EQ(perf->total_executions, 4u);
}

// A store upgraded by a newer release is refused before anything is written: an older binary
// would write to tables the newer one changed. Its rows stay as they were.
TEST_P(StoreConformance, AStoreUpgradedByANewerReleaseIsRefused) {
  insert_group({make_execution(1)});
  EXPECT_EQ(admin_sql("INSERT INTO schema_migrations (version) VALUES (999)"), "");
  Status st = store_->migrate();
  EXPECT_EQ(st.code(), StatusCode::kConflict) << st.message();
  EXPECT_NE(st.message().find("version 999"), std::string::npos) << st.message();
  auto other = open_store(url_);
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_EQ((*other)->migrate().code(), StatusCode::kConflict) << "a second process is refused too";
  EXPECT_EQ(count(), 1);
  // Back to the versions this binary knows: it migrates again.
  EXPECT_EQ(admin_sql("DELETE FROM schema_migrations WHERE version = 999"), "");
  st = store_->migrate();
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST_P(StoreConformance, CountsExecutions) {
  EXPECT_EQ(count(), 0);
  std::vector<Execution> rows;
  for (int i = 0; i < 7; ++i) rows.push_back(make_execution(i));
  insert_group(rows);
  EXPECT_EQ(count(), 7);
}

TEST_P(StoreConformance, AnalyticsAppliesEveryFilter) {
  std::vector<Execution> rows;
  for (int i = 0; i < 40; ++i) rows.push_back(make_execution(i));  // agent-0..2, code/docs
  rows[5].cost_usd.reset();
  rows[6].task_type.reset();
  Execution nasty = make_execution(100);
  nasty.agent_id = kNasty;
  nasty.task_type = kNasty;
  rows.push_back(nasty);
  insert_group(rows);

  const int64_t t0 = rows[0].timestamp_us;
  auto expected = [&](auto pred) {
    size_t n = 0;
    for (const auto& r : rows) n += pred(r) ? 1 : 0;
    return n;
  };

  EXPECT_EQ(count_stats({}), rows.size());
  ExecutionFilter since;
  since.since_us = t0 + 10'000'000;  // inclusive
  EXPECT_EQ(count_stats(since), expected([&](const Execution& e) { return e.timestamp_us >= t0 + 10'000'000; }));
  ExecutionFilter until;
  until.until_us = t0 + 10'000'000;  // exclusive
  EXPECT_EQ(count_stats(until), 10u);
  ExecutionFilter window;
  window.since_us = t0 + 5'000'000;
  window.until_us = t0 + 15'000'000;
  EXPECT_EQ(count_stats(window), 10u);
  ExecutionFilter type;
  type.task_type = "code";
  EXPECT_EQ(count_stats(type), expected([](const Execution& e) { return e.task_type == "code"; }));
  ExecutionFilter agent;
  agent.agent_id = "agent-1";
  EXPECT_EQ(count_stats(agent), expected([](const Execution& e) { return e.agent_id == "agent-1"; }));
  ExecutionFilter all4 = window;
  all4.task_type = "docs";
  all4.agent_id = "agent-2";
  EXPECT_EQ(count_stats(all4), expected([&](const Execution& e) {
              return e.timestamp_us >= t0 + 5'000'000 && e.timestamp_us < t0 + 15'000'000 &&
                     e.task_type == "docs" && e.agent_id == "agent-2";
            }));
  ExecutionFilter none;
  none.agent_id = "nobody";
  EXPECT_EQ(count_stats(none), 0u);
  // Values with SQL metacharacters are data, not SQL.
  ExecutionFilter sql;
  sql.agent_id = kNasty;
  sql.task_type = kNasty;
  EXPECT_EQ(count_stats(sql), 1u);

  // Every agent named, the hostile one as data.
  auto perf = Analytics(store_->analytics()).performance({});
  ASSERT_TRUE(perf.ok()) << perf.status().message();
  std::set<std::string> agents;
  for (const auto& a : perf->agents) agents.insert(a.agent_id);
  EXPECT_EQ(agents, (std::set<std::string>{"agent-0", "agent-1", "agent-2", kNasty}));
  EXPECT_EQ(count(), static_cast<int64_t>(rows.size()));  // and the table is still there
}

TEST_P(StoreConformance, ScanExecutionsPagesInIdOrder) {
  std::vector<Execution> rows;
  for (int i = 0; i < 25; ++i) rows.push_back(make_execution(i));
  auto ids = insert_group(rows);
  std::vector<int64_t> paged;
  int64_t after = 0;
  int pages = 0;
  for (;;) {
    size_t n = 0;
    Status st = store_->executions().scan_executions(after, 10, [&](const StoredRow& r) {
      EXPECT_GT(r.id, after);
      paged.push_back(r.id);
      after = r.id;
      ++n;
    });
    ASSERT_TRUE(st.ok()) << st.message();
    if (n == 0) break;
    ++pages;
    EXPECT_LE(n, 10u);
  }
  EXPECT_EQ(pages, 3);
  auto sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(paged, sorted);

  size_t all = 0;
  ASSERT_TRUE(store_->executions().scan_executions(0, 0, [&](const StoredRow&) { ++all; }).ok());
  EXPECT_EQ(all, 25u);
  size_t tail = 0;
  ASSERT_TRUE(store_->executions().scan_executions(sorted[20], 0, [&](const StoredRow&) { ++tail; }).ok());
  EXPECT_EQ(tail, 4u);
}

TEST_P(StoreConformance, FindExecutionMissingIsEmpty) {
  insert_group({make_execution(1)});
  for (std::string id : {"nope", "", kNasty}) {
    auto r = store_->executions().find_execution(id);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_FALSE(r->has_value()) << id;
  }
  auto r = store_->executions().find_execution("exec-1");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->has_value());
}

TEST_P(StoreConformance, RollbackStoresNothing) {
  std::vector<Execution> rows;
  for (int i = 0; i < 300; ++i) rows.push_back(make_execution(i));  // both insert paths
  std::vector<const Execution*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);
  for (size_t n : {size_t{3}, size_t{300}}) {
    ASSERT_TRUE(writer_->begin().ok());
    std::vector<int64_t> ids;
    Status st = writer_->insert(std::span(ptrs.data(), n), 1, ids);
    ASSERT_TRUE(st.ok()) << st.message();
    writer_->rollback();
    writer_->rollback();  // harmless twice
  }
  EXPECT_EQ(count(), 0);
  auto found = store_->executions().find_execution("exec-1");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  // The writer is still usable, and the same execution_ids are free.
  insert_group({rows[1]});
  EXPECT_EQ(count(), 1);
}

TEST_P(StoreConformance, DuplicateExecutionIdIsConflict) {
  insert_group({make_execution(1)});
  for (size_t size : {size_t{1}, size_t{400}}) {  // both insert paths
    SCOPED_TRACE("group of " + std::to_string(size));
    std::vector<Execution> rows;
    for (size_t i = 0; i < size; ++i) rows.push_back(make_execution(1000 + static_cast<int>(i)));
    rows[size / 2] = make_execution(1);
    std::vector<const Execution*> ptrs;
    for (const auto& r : rows) ptrs.push_back(&r);
    ASSERT_TRUE(writer_->begin().ok());
    std::vector<int64_t> ids;
    Status st = writer_->insert(ptrs, 1, ids);
    EXPECT_EQ(st.code(), StatusCode::kConflict) << st.message();
    writer_->rollback();
  }
  // Duplicates inside one group conflict too.
  std::vector<Execution> twice = {make_execution(7), make_execution(7)};
  std::vector<const Execution*> ptrs = {&twice[0], &twice[1]};
  ASSERT_TRUE(writer_->begin().ok());
  std::vector<int64_t> ids;
  EXPECT_EQ(writer_->insert(ptrs, 1, ids).code(), StatusCode::kConflict);
  writer_->rollback();

  EXPECT_EQ(count(), 1);
  insert_group({make_execution(2)});  // the writer recovers
  EXPECT_EQ(count(), 2);
}

TEST_P(StoreConformance, LargeGroupOf10000InOneTransaction) {
  std::vector<Execution> rows;
  for (int i = 0; i < 10'000; ++i) rows.push_back(make_execution(i));
  rows[1234] = tricky_execution();
  std::vector<const Execution*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);

  // Warm up (connections, prepared statements), then measure a few fresh groups.
  std::vector<int64_t> ids;
  auto t0 = Clock::now();
  ASSERT_TRUE(writer_->begin().ok());
  Status st = writer_->insert(ptrs, 99, ids);
  ASSERT_TRUE(st.ok()) << st.message();
  st = writer_->commit();
  ASSERT_TRUE(st.ok()) << st.message();
  double secs = seconds_since(t0);
  ASSERT_EQ(ids.size(), rows.size());
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), rows.size());

  std::vector<Execution> more;
  for (int i = 0; i < 30'000; ++i) {
    more.push_back(make_execution(i));
    more.back().execution_id = "more-" + std::to_string(i);
  }
  std::vector<const Execution*> more_ptrs;
  for (const auto& r : more) more_ptrs.push_back(&r);
  auto t1 = Clock::now();
  for (size_t g = 0; g < 3; ++g) {
    std::vector<int64_t> gids;
    ASSERT_TRUE(writer_->begin().ok());
    ASSERT_TRUE(writer_->insert(std::span(more_ptrs.data() + g * 10'000, 10'000), 99, gids).ok());
    ASSERT_TRUE(writer_->commit().ok());
  }
  double rate = 30'000 / seconds_since(t1);
  std::printf("[ %s ] 10,000-row groups: first %.0f rows/s, then %.0f rows/s\n", GetParam().c_str(),
              10'000 / secs, rate);
  // A figure for the log only: speed is measured in bench/, never asserted in a test (the
  // machine may be busy).
  RecordProperty("rows_per_second_10000", static_cast<int>(rate));

  // Read everything back.
  size_t matched = 0;
  std::map<int64_t, size_t> index;
  for (size_t i = 0; i < ids.size(); ++i) index[ids[i]] = i;
  st = store_->executions().scan_executions(0, 0, [&](const StoredRow& r) {
    auto it = index.find(r.id);
    if (it == index.end()) return;
    const Execution& want = rows[it->second];
    if (r.execution.execution_id == want.execution_id && r.execution.task_id == want.task_id &&
        r.execution.execution_time == want.execution_time && r.received_us == 99) {
      ++matched;
    }
  });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(matched, rows.size());
  auto tricky = store_->executions().find_execution(*rows[1234].execution_id);
  ASSERT_TRUE(tricky.ok() && tricky->has_value());
  EXPECT_EQ((*tricky)->id, ids[1234]);
  expect_same_execution((*tricky)->execution, rows[1234]);
  EXPECT_EQ(count(), 40'000);
}

TEST_P(StoreConformance, SmallGroupThroughput) {
  // The server's group commit sees many small groups; measure 30-row and 1-row groups.
  std::vector<Execution> rows;
  for (int i = 0; i < 3'000; ++i) rows.push_back(make_execution(i));
  std::vector<const Execution*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);
  insert_group({make_execution(-1)});  // warm up
  auto t0 = Clock::now();
  for (size_t g = 0; g < 100; ++g) {
    std::vector<int64_t> ids;
    ASSERT_TRUE(writer_->begin().ok());
    std::vector<std::string> want;
    for (size_t i = 0; i < 30; ++i) want.push_back(*rows[g * 30 + i].execution_id);
    std::vector<std::optional<ExistingExecution>> existing;
    ASSERT_TRUE(writer_->find_existing(want, existing).ok());  // as the group writer does
    ASSERT_TRUE(writer_->insert(std::span(ptrs.data() + g * 30, 30), 1, ids).ok());
    ASSERT_TRUE(writer_->commit().ok());
  }
  double rate30 = 3'000 / seconds_since(t0);
  std::vector<Execution> singles;
  for (int i = 0; i < 200; ++i) {
    singles.push_back(make_execution(i));
    singles.back().execution_id = "single-" + std::to_string(i);
  }
  auto t1 = Clock::now();
  for (const auto& e : singles) insert_group({e});
  double rate1 = 200 / seconds_since(t1);
  std::printf("[ %s ] 30-row groups: %.0f rows/s (%.0f commits/s); 1-row groups: %.0f rows/s\n",
              GetParam().c_str(), rate30, rate30 / 30, rate1);
  RecordProperty("rows_per_second_30", static_cast<int>(rate30));
  EXPECT_EQ(count(), 3'201);
}

TEST_P(StoreConformance, ReadsRunConcurrentlyWithWrites) {
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 6; ++t) {  // more threads than pooled connections
    readers.emplace_back([&] {
      while (!stop) {
        if (!store_->executions().count_executions().ok()) ++failures;
        if (!store_->executions().scan_executions(0, 50, [](const StoredRow&) {}).ok()) ++failures;
        if (!store_->executions().find_execution("exec-3").ok()) ++failures;
      }
    });
  }
  for (int g = 0; g < 20; ++g) {
    std::vector<Execution> rows;
    for (int i = 0; i < 50; ++i) rows.push_back(make_execution(g * 50 + i));
    insert_group(rows);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count(), 1000);
}

TEST_P(StoreConformance, ReopeningKeepsData) {
  auto ids = insert_group({tricky_execution(), make_execution(1)});
  writer_.reset();
  store_.reset();
  store_ = open();
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->migrate().ok());
  EXPECT_EQ(count(), 2);
  auto found = store_->executions().find_execution(*tricky_execution().execution_id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, ids[0]);
  expect_same_execution((*found)->execution, tricky_execution());
  // New ids continue after the old ones.
  auto w = store_->executions().open_writer();
  ASSERT_TRUE(w.ok());
  writer_ = std::move(w).value();
  auto more = insert_group({make_execution(2)});
  EXPECT_GT(more[0], std::max(ids[0], ids[1]));
}

TEST_P(StoreConformance, MigrationSixFlagsOutOfRangeRowsAndLeavesThemOutOfTheSums) {
  // Rows an older release accepted: a cost of 1e308 (two of them summed to infinity, which no
  // JSON answer can carry), a run of 2e9 seconds, a timestamp past year 9999. The store
  // itself does not validate, so they go in as such a release stored them.
  std::vector<Execution> rows;
  for (int i = 0; i < 6; ++i) rows.push_back(make_execution(i));
  rows[1].cost_usd = 1e308;
  rows[1].metrics_json = R"({"cost_usd":1e308})";
  rows[2].execution_time = 2e9;
  rows[3].timestamp_us = 253402300800LL * 1'000'000;  // 10000-01-01T00:00:00Z
  insert_group(rows);
  writer_.reset();
  store_.reset();
  // Back to the schema before migration 6.
  for (const char* sql : {"DROP TABLE analytics_journal", "DROP TABLE analytics_rollup",
                          "ALTER TABLE rollup_cells RENAME TO analytics_cells",
                          "DELETE FROM schema_migrations WHERE version = 7",
                          "ALTER TABLE executions DROP COLUMN out_of_range",
                          "DELETE FROM schema_migrations WHERE version = 6"}) {
    ASSERT_EQ(admin_sql(sql), "") << sql;
  }
  store_ = open();
  ASSERT_NE(store_, nullptr);
  Status st = store_->migrate();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(admin_sql("SELECT max(version) FROM schema_migrations"), "7");
  const char* flagged_sql = is_pg() ? "SELECT count(*) FROM executions WHERE out_of_range"
                                    : "SELECT count(*) FROM executions WHERE out_of_range = 1";
  EXPECT_EQ(admin_sql(flagged_sql), "3");
  EXPECT_EQ(admin_sql("SELECT count(*) FROM executions"), "6") << "nothing is deleted";
  // The cells are rebuilt from the three rows in range only, at every level.
  EXPECT_EQ(admin_sql("SELECT sum(executions) FROM rollup_cells WHERE scope = 3"),
            std::to_string(3 * analytics::kLevels));
  // Costs in nano-dollars: below a dollar in every cell.
  EXPECT_EQ(admin_sql("SELECT max(cost_nusd_hi) FROM rollup_cells"), "0");
  const std::string max_cost = admin_sql("SELECT max(cost_nusd_lo) FROM rollup_cells");
  EXPECT_LT(std::stod(max_cost), 1e9) << max_cost;
  // The analytics' row reads skip them too: every run of the range, read as rows.
  Analytics analytics(store_->analytics(), AnalyticsOptions{1'000'000});
  ExecutionFilter all;
  all.since_us = rows[0].timestamp_us;
  all.until_us = rows[5].timestamp_us + 1;
  auto perf = analytics.performance(all);
  ASSERT_TRUE(perf.ok()) << perf.status().message();
  EXPECT_TRUE(perf->exact_percentiles);
  EXPECT_EQ(perf->total_executions, 3u);
  for (const auto& a : perf->agents) {
    EXPECT_LT(a.time_mean, 1e9) << a.agent_id;
    if (a.mean_cost_usd) {
      EXPECT_LT(*a.mean_cost_usd, 1.0) << a.agent_id;
    }
  }
  // New writes go on as before.
  auto w = store_->executions().open_writer();
  ASSERT_TRUE(w.ok());
  writer_ = std::move(w).value();
  insert_group({make_execution(7)});
  EXPECT_EQ(admin_sql("SELECT sum(executions) FROM rollup_cells WHERE scope = 3"),
            std::to_string(3 * analytics::kLevels))
      << "journaled, not yet in the cells";
  auto round = store_->analytics().roll_up({});
  ASSERT_TRUE(round.ok()) << round.status().message();
  EXPECT_EQ(round->executions, 1u);
  EXPECT_EQ(admin_sql("SELECT sum(executions) FROM rollup_cells WHERE scope = 3"),
            std::to_string(4 * analytics::kLevels));
}

TEST_P(StoreConformance, DoublesComeBackBitForBitWhateverTheServersDigitsSetting) {
  // A server whose default extra_float_digits is 0 sends 15 significant digits: 0.1 + 0.2
  // would come back as 0.3. The store sets the session's own value on every connection.
  // (On the PostgreSQL server only: the test database is its own and dropped afterwards;
  // PGlite's connections share one session, which a database default does not reach.)
  const bool own_database = GetParam() == "postgresql";
  const char* set_zero =
      "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET extra_float_digits = 0', current_database()); END $$";
  if (own_database) {
    ASSERT_EQ(admin_sql(set_zero), "");
    ASSERT_EQ(admin_sql("SELECT 0.1::float8 + 0.2::float8"), "0.3") << "the setting did not take";
  }
  writer_.reset();
  store_ = open();  // new connections, under the database's new default
  ASSERT_NE(store_, nullptr);
  auto w = store_->executions().open_writer();
  ASSERT_TRUE(w.ok());
  writer_ = std::move(w).value();
  Execution e = make_execution(1);
  e.execution_time = 0.1 + 0.2;
  e.cost_usd = 1.0 / 3.0;
  e.metrics_json = R"({"cost_usd":0.3333333333333333})";
  insert_group({e});
  auto found = store_->executions().find_execution(*e.execution_id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->execution.execution_time, 0.1 + 0.2) << "bit for bit";
  ASSERT_TRUE((*found)->execution.cost_usd.has_value());
  EXPECT_EQ(*(*found)->execution.cost_usd, 1.0 / 3.0);
}

TEST_P(StoreConformance, CellSumsAreExactWhateverTheOrderOfTheWrites) {
  // Two agents with the same costs, written one group per run in opposite orders: in
  // doubles (0.1 + 0.2) + 0.3 and (0.3 + 0.2) + 0.1 differ in the last bit.
  const double costs[] = {0.1, 0.2, 0.3, 1e6, 1e-9};
  int n = 0;
  for (int i = 0; i < 5; ++i) {
    for (const char* agent : {"forward", "backward"}) {
      Execution e = make_execution(n++);
      e.agent_id = agent;
      e.cost_usd = costs[std::string_view(agent) == "forward" ? i : 4 - i];
      e.metrics_json = fmt::format(R"({{"cost_usd":{}}})", *e.cost_usd);
      e.execution_time = 0.1 * (std::string_view(agent) == "forward" ? i + 1 : 5 - i);
      e.anomaly = i % 2 == 0 ? std::optional<bool>(i == 0) : std::nullopt;  // two runs unscored
      insert_group({e});
    }
  }
  // Times of 1e9 s, 5,000 of them in one cell: the low 62 bits of the microsecond sum carry
  // into the high part (2^62 us is 4,611 such runs).
  std::vector<Execution> long_runs;
  for (int i = 0; i < 5000; ++i) {
    Execution e = make_execution(100 + i);
    e.agent_id = "long";
    e.execution_time = 1e9;
    e.timestamp_us = make_execution(0).timestamp_us;
    long_runs.push_back(e);
    if (long_runs.size() == 1000) {
      insert_group(long_runs);
      long_runs.clear();
    }
  }
  Analytics analytics(store_->analytics(), AnalyticsOptions{16});
  ExecutionFilter all;
  all.since_us = make_execution(0).timestamp_us - 3'600'000'000LL;
  all.until_us = make_execution(n).timestamp_us + 3'600'000'000LL;
  auto perf = analytics.performance(all);
  ASSERT_TRUE(perf.ok()) << perf.status().message();
  ASSERT_EQ(perf->agents.size(), 3u);
  const auto& backward = perf->agents[0];
  const auto& forward = perf->agents[1];
  const auto& long_agent = perf->agents[2];
  ASSERT_EQ(forward.agent_id, "forward");
  ASSERT_TRUE(forward.mean_cost_usd && backward.mean_cost_usd);
  EXPECT_EQ(*forward.mean_cost_usd, *backward.mean_cost_usd) << "bit for bit";
  EXPECT_DOUBLE_EQ(*forward.mean_cost_usd, (0.1 + 0.2 + 0.3 + 1e6 + 1e-9) / 5);
  EXPECT_EQ(forward.time_mean, backward.time_mean);
  EXPECT_DOUBLE_EQ(forward.time_mean, 0.3);
  // Anomalies out of the scored runs only.
  EXPECT_EQ(forward.scored, 3u);
  EXPECT_EQ(forward.anomalies, 1u);
  EXPECT_EQ(long_agent.agent_id, "long");
  EXPECT_EQ(long_agent.executions, 5000u);
  EXPECT_EQ(long_agent.time_mean, 1e9);
  EXPECT_EQ(long_agent.scored, 0u);
}

TEST_P(StoreConformance, FlaggedRunsAreFilteredInTheQueryNewestRunFirst) {
  // Inserted out of timestamp order, so id order and run order differ; agent-0 has few
  // flagged runs, and hundreds of newer ones of other agents come after them.
  std::vector<Execution> rows;
  for (int i = 0; i < 700; ++i) {
    Execution e = make_execution(i);
    e.timestamp_us = 1'732'406'400'000'000 + int64_t{(i * 37) % 700} * 1'000'000;
    e.anomaly_score = 0.9;
    e.anomaly = i % 3 != 0 || i < 30;  // agent-0 (i % 3 == 0) flagged only among the first 30
    rows.push_back(e);
  }
  auto ids = insert_group(rows);
  ASSERT_EQ(ids.size(), rows.size());
  auto flagged = [&](int64_t since, int64_t until, std::optional<std::string> agent, std::optional<std::string> type,
                     size_t limit) {
    std::vector<int64_t> out;
    Status st = store_->analytics().read_analytics([&](AnalyticsSnapshot& snap) {
      return snap.scan_flagged(since, until, agent, type, limit, [&](const StoredRow& r) {
        EXPECT_EQ(r.anomaly, std::optional<bool>(true));
        out.push_back(r.id);
      });
    });
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  };
  auto oracle = [&](int64_t since, int64_t until, std::optional<std::string> agent, std::optional<std::string> type,
                    size_t limit) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < rows.size(); ++i) {
      const Execution& e = rows[i];
      if (!*e.anomaly || e.timestamp_us < since || e.timestamp_us >= until) continue;
      if ((agent && e.agent_id != *agent) || (type && e.task_type != type)) continue;
      idx.push_back(i);
    }
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      if (rows[a].timestamp_us != rows[b].timestamp_us) return rows[a].timestamp_us > rows[b].timestamp_us;
      return ids[a] > ids[b];
    });
    std::vector<int64_t> out;
    for (size_t k = 0; k < idx.size() && k < limit; ++k) out.push_back(ids[idx[k]]);
    return out;
  };
  const int64_t t0 = 1'732'406'400'000'000, end = t0 + 700'000'000;
  for (auto [since, until] : {std::pair<int64_t, int64_t>{t0, end}, std::pair<int64_t, int64_t>{t0 + 100'000'000, t0 + 400'000'000}}) {
    for (std::optional<std::string> agent : {std::optional<std::string>(), std::optional<std::string>("agent-0")}) {
      for (std::optional<std::string> type : {std::optional<std::string>(), std::optional<std::string>("code")}) {
        SCOPED_TRACE(agent.value_or("-") + " " + type.value_or("-") + " " + std::to_string(since));
        EXPECT_EQ(flagged(since, until, agent, type, 20), oracle(since, until, agent, type, 20));
      }
    }
  }
  // agent-0's 10 flagged runs are found though over 400 newer runs of others were flagged.
  EXPECT_EQ(flagged(t0, end, "agent-0", std::nullopt, 20).size(), 10u);
  EXPECT_TRUE(flagged(end, end + 1, std::nullopt, std::nullopt, 20).empty());
}

TEST_P(StoreConformance, AnomalyScoresAndFlagsRoundTripAndAreListedNewestFirst) {
  // Scored and flagged, scored and not flagged, not scored, scored with no flag.
  std::vector<Execution> rows;
  for (int i = 0; i < 603; ++i) {
    Execution e = make_execution(i);  // timestamps increase with i
    if (i % 4 != 2) e.anomaly_score = 0.5 + i * 1e-3 + 0.1 / 3;
    if (i % 4 == 0) e.anomaly = true;
    if (i % 4 == 1) e.anomaly = false;
    rows.push_back(e);
  }
  // The first 3 take the small-group path, the other 600 the bulk path (COPY on PostgreSQL).
  std::vector<int64_t> ids = insert_group(std::vector<Execution>(rows.begin(), rows.begin() + 3));
  auto bulk = insert_group(std::vector<Execution>(rows.begin() + 3, rows.end()));
  ids.insert(ids.end(), bulk.begin(), bulk.end());
  ASSERT_EQ(ids.size(), rows.size());

  std::map<int64_t, size_t> index;
  for (size_t i = 0; i < ids.size(); ++i) index[ids[i]] = i;
  size_t seen = 0;
  for (const StoredRow& r : all_rows()) {
    const Execution& want = rows[index.at(r.id)];
    EXPECT_EQ(r.anomaly_score, want.anomaly_score) << r.id;
    EXPECT_EQ(r.anomaly, want.anomaly) << r.id;
    EXPECT_EQ(r.execution.anomaly_score, want.anomaly_score) << r.id;
    EXPECT_EQ(r.execution.anomaly, want.anomaly) << r.id;
    ++seen;
  }
  EXPECT_EQ(seen, rows.size());
  auto found = store_->executions().find_execution("exec-4");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->anomaly, std::optional<bool>(true));
  EXPECT_EQ((*found)->execution.anomaly_score, rows[4].anomaly_score);

  // Flagged rows only, newest (highest id) first.
  auto flagged_since = [&](int64_t since_us) {
    std::vector<int64_t> out;
    for (size_t i = rows.size(); i-- > 0;) {
      if (rows[i].anomaly == true && rows[i].timestamp_us >= since_us) out.push_back(ids[i]);
    }
    return out;
  };
  auto all_flagged = flagged_since(std::numeric_limits<int64_t>::min());
  ASSERT_EQ(all_flagged.size(), 151u);
  EXPECT_EQ(anomaly_ids(std::nullopt, 0), all_flagged);
  EXPECT_EQ(anomaly_ids(std::nullopt, 5), std::vector<int64_t>(all_flagged.begin(), all_flagged.begin() + 5));
  const int64_t since = rows[300].timestamp_us;  // inclusive: row 300 is flagged
  auto recent = flagged_since(since);
  ASSERT_EQ(recent.size(), 76u);
  EXPECT_EQ(anomaly_ids(since, 0), recent);
  EXPECT_EQ(anomaly_ids(since, 3), std::vector<int64_t>(recent.begin(), recent.begin() + 3));
  EXPECT_EQ(anomaly_ids(since, 1000), recent);
  EXPECT_TRUE(anomaly_ids(rows.back().timestamp_us + 1, 0).empty());

  auto perf = Analytics(store_->analytics()).performance({});
  ASSERT_TRUE(perf.ok()) << perf.status().message();
  size_t counted_flagged = 0;
  for (const auto& a : perf->agents) counted_flagged += a.anomalies;
  EXPECT_EQ(counted_flagged, all_flagged.size());
}

TEST_P(StoreConformance, ModelSetsAreSavedListedAndLoaded) {
  auto empty = store_->models().list_model_sets();
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_TRUE(empty->empty());

  ModelSetRecord big;  // over one 4 MiB slice, and not a whole number of them
  big.version = "v1.2.0_20261124T080000Z";
  big.created_us = 2'000'000;
  big.summary_json = std::string(R"({"agent_selector":{"auc":0.745},"note":"日本語 ")") + kNasty + "\"}";
  big.blob = every_byte_blob((5 << 20) + 123);
  ModelSetRecord rejected;
  rejected.version = "v1.1.0_20261124T070000Z";
  rejected.created_us = 1'000'000;
  rejected.rejected = true;
  rejected.reason = "auc 0.61 below the active set's 0.74 — \"kept\" for inspection; " + std::string(kNasty);
  rejected.summary_json = "{}";
  rejected.blob = std::string("\0\x01\xff\0", 4);
  ModelSetRecord tie;  // created when `big` was: the higher version lists first
  tie.version = "v1.2.1_20261124T080000Z";
  tie.created_us = big.created_us;
  tie.summary_json = "{}";
  for (const auto* r : {&rejected, &big, &tie}) {
    Status st = store_->models().save_model_set(*r);
    ASSERT_TRUE(st.ok()) << r->version << ": " << st.message();
  }

  auto listed = store_->models().list_model_sets();
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ(listed->size(), 3u);
  std::vector<const ModelSetRecord*> want = {&tie, &big, &rejected};
  for (size_t i = 0; i < want.size(); ++i) {
    const ModelSetRecord& got = (*listed)[i];
    EXPECT_EQ(got.version, want[i]->version);
    EXPECT_EQ(got.created_us, want[i]->created_us);
    EXPECT_EQ(got.rejected, want[i]->rejected);
    EXPECT_EQ(got.reason, want[i]->reason);
    EXPECT_EQ(got.summary_json, want[i]->summary_json);
    EXPECT_TRUE(got.blob.empty()) << "listings carry no blobs";
  }

  for (const auto* r : {&big, &rejected, &tie}) {
    auto loaded = store_->models().load_model_set(r->version);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    ASSERT_TRUE(loaded->has_value()) << r->version;
    const ModelSetRecord& got = **loaded;
    EXPECT_EQ(got.version, r->version);
    EXPECT_EQ(got.created_us, r->created_us);
    EXPECT_EQ(got.rejected, r->rejected);
    EXPECT_EQ(got.reason, r->reason);
    EXPECT_EQ(got.summary_json, r->summary_json);
    ASSERT_EQ(got.blob.size(), r->blob.size());
    EXPECT_TRUE(got.blob == r->blob) << "blob bytes differ for " << r->version;
  }

  ModelSetRecord again = rejected;
  again.blob = "other";
  Status st = store_->models().save_model_set(again);
  EXPECT_EQ(st.code(), StatusCode::kConflict) << st.message();
  EXPECT_EQ(st.field(), "version");
  auto kept = store_->models().load_model_set(rejected.version);
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->blob, rejected.blob);
  EXPECT_EQ(store_->models().list_model_sets()->size(), 3u);

  for (std::string unknown : {"v9.9.9_20300101T000000Z", "", kNasty}) {
    auto none = store_->models().load_model_set(unknown);
    ASSERT_TRUE(none.ok()) << none.status().message();
    EXPECT_FALSE(none->has_value()) << unknown;
  }
}

TEST_P(StoreConformance, ActivationsAreAppendedInOrder) {
  auto none = store_->models().activations();
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->empty());
  std::vector<ModelActivation> want(3);
  want[0].version = "v1.0.0_20261124T080000Z";
  want[0].activated_us = 300;
  want[0].reason = "first model set";
  want[1].version = "v1.1.0_20261124T090000Z";
  want[1].activated_us = 200;  // clocks go back: the order is the order of recording
  want[1].reason = "promoted";
  want[2].version = want[0].version;
  want[2].activated_us = 400;
  want[2].reason = std::string("rollback: ") + kNasty + " ü";
  for (const auto& a : want) {
    Status st = store_->models().record_activation(a);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  auto got = store_->models().activations();
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*got)[i].version, want[i].version);
    EXPECT_EQ((*got)[i].activated_us, want[i].activated_us);
    EXPECT_EQ((*got)[i].reason, want[i].reason);
    EXPECT_GT((*got)[i].id, i == 0 ? 0 : (*got)[i - 1].id);
  }
}

TEST_P(StoreConformance, SettingsAreUpserted) {
  auto missing = store_->settings().get_setting("learning_mode");
  ASSERT_TRUE(missing.ok()) << missing.status().message();
  EXPECT_FALSE(missing->has_value());
  const std::string odd_value = "日本語 \"q\" 'single' \n\t\\ " + std::string(kNasty);
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"learning_mode", "apprentice"}, {"learning_mode", "online"}, {kNasty, odd_value}, {"empty", ""}}) {
    Status st = store_->settings().put_setting(key, value);
    ASSERT_TRUE(st.ok()) << st.message();
    auto got = store_->settings().get_setting(key);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(*got, std::optional<std::string>(value)) << key;
  }
  EXPECT_EQ(*store_->settings().get_setting("learning_mode"), std::optional<std::string>("online"));
}

TEST_P(StoreConformance, RecommendationLogJoinsTheFirstExecutionThatFollowedIt) {
  std::vector<RecommendationLogRow> logged = {
      log_row("rec-b", 20),
      log_row("rec-a", 20),  // logged at the same time as rec-b: ordered by id
      log_row(kNasty, 5),
      log_row("rec-never-followed", 1),
      log_row("rec-c", 10),
  };
  RecommendationLogRow& odd = logged[2];
  odd.mode = "exploit";
  odd.model_version = "";
  odd.chosen_agent = "agënt-🚀-\"quoted\"-'single'";
  odd.model_agent = "";
  odd.rules_agent = kNasty;
  odd.propensity = 0.05 / 3;
  odd.explored = true;
  // A repeated recommendation_id is ignored, in the same call or a later one: the first stays.
  RecommendationLogRow repeat = log_row("rec-a", 99);
  repeat.chosen_agent = "someone-else";
  std::vector<RecommendationLogRow> batch = logged;
  batch.push_back(repeat);
  Status st = store_->recommendation_log().log_recommendations(batch);
  ASSERT_TRUE(st.ok()) << st.message();
  st = store_->recommendation_log().log_recommendations(std::vector<RecommendationLogRow>{repeat});
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(store_->recommendation_log().log_recommendations({}).ok());

  auto followed = [](int i, std::string rec) {
    Execution e = make_execution(i);
    e.recommendation_id = std::move(rec);
    return e;
  };
  auto first = insert_group({followed(1, "rec-a"), followed(2, kNasty), make_execution(3),
                             followed(4, "rec-not-logged")});
  auto later = insert_group({followed(5, "rec-a"), followed(6, "rec-b"), followed(7, "rec-c")});

  struct Want {
    const RecommendationLogRow* log;
    int64_t execution_id;
  };
  std::vector<Want> want = {{&logged[2], first[1]}, {&logged[4], later[2]},
                            {&logged[1], first[0]}, {&logged[0], later[1]}};
  size_t n = 0;
  st = store_->recommendation_log().scan_logged_outcomes([&](const RecommendationLogRow& log, const StoredRow& row) {
    ASSERT_LT(n, want.size()) << "unexpected " << log.recommendation_id;
    const RecommendationLogRow& w = *want[n].log;
    EXPECT_EQ(log.recommendation_id, w.recommendation_id);
    EXPECT_EQ(log.created_us, w.created_us);
    EXPECT_EQ(log.mode, w.mode);
    EXPECT_EQ(log.model_version, w.model_version);
    EXPECT_EQ(log.chosen_agent, w.chosen_agent);
    EXPECT_EQ(log.model_agent, w.model_agent);
    EXPECT_EQ(log.rules_agent, w.rules_agent);
    EXPECT_EQ(log.propensity, w.propensity);
    EXPECT_EQ(log.explored, w.explored);
    EXPECT_EQ(row.id, want[n].execution_id) << w.recommendation_id;
    EXPECT_EQ(row.execution.recommendation_id, w.recommendation_id);
    ++n;
  });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(n, want.size());
  EXPECT_EQ(count(), 7);  // and the table is still there
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values("sqlite", "postgresql", "pglite"),
                         [](const auto& info) { return info.param; });

// --- PostgreSQL only: connection loss, unavailability, concurrent migration ---------------------

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_PG_URL();
    std::string err = db_.create();
    ASSERT_EQ(err, "") << "cannot create a test database";
  }
  PgTestDatabase db_;
};

TEST_F(PostgresStoreTest, PingFailsFastWhenNothingListens) {
  std::string url = "postgresql://postgres@127.0.0.1:" + std::to_string(closed_port()) + "/agentlearn";
  auto store = open_store(url);
  ASSERT_TRUE(store.ok()) << "opening must not connect: " << store.status().message();
  auto t0 = Clock::now();
  Status st = (*store)->ping();
  // Refused at once, not after a connect timeout: the bound only tells a hang (libpq waits
  // forever by default) from an answer, however busy the machine.
  EXPECT_LT(seconds_since(t0), 60.0);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.message();
  EXPECT_NE(st.message().find("127.0.0.1"), std::string::npos) << st.message();

  EXPECT_EQ((*store)->migrate().code(), StatusCode::kUnavailable);
  EXPECT_EQ((*store)->executions().count_executions().status().code(), StatusCode::kUnavailable);
  ModelSetRecord set;
  set.version = "v1";
  EXPECT_EQ((*store)->models().save_model_set(set).code(), StatusCode::kUnavailable);
  EXPECT_EQ((*store)->models().load_model_set("v1").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ((*store)->models().list_model_sets().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ((*store)->settings().put_setting("k", "v").code(), StatusCode::kUnavailable);
  std::vector<RecommendationLogRow> logged = {log_row("rec-1", 1)};
  EXPECT_EQ((*store)->recommendation_log().log_recommendations(logged).code(), StatusCode::kUnavailable);
  auto w = (*store)->executions().open_writer();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->begin().code(), StatusCode::kUnavailable);
  EXPECT_LT(seconds_since(t0), 120.0);
}

TEST_F(PostgresStoreTest, RecoversAfterItsConnectionsAreKilled) {
  auto opened = open_store(db_.url());
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto& store = *opened;
  ASSERT_TRUE(store->migrate().ok());
  auto w = store->executions().open_writer();
  ASSERT_TRUE(w.ok());
  auto& writer = *w;
  std::vector<int64_t> ids;
  Execution a = make_execution(1), b = make_execution(2);
  std::vector<const Execution*> pa = {&a}, pb = {&b};
  ASSERT_TRUE(writer->begin().ok());
  ASSERT_TRUE(writer->insert(pa, 1, ids).ok());
  ASSERT_TRUE(writer->commit().ok());
  ASSERT_TRUE(store->ping().ok());
  ASSERT_EQ(*store->executions().count_executions(), 1);

  // Kill every session on the test database (writer, pooled readers, ping), waiting for
  // each to exit, as a server restart or a failover would.
  std::string killed = db_.admin().exec(
      "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
      "WHERE datname = $1 AND pid <> pg_backend_pid()",
      {db_.name()});
  ASSERT_GE(std::atoi(killed.c_str()), 3) << killed;

  // A write through a pooled connection that died finds out at BEGIN and runs on a new one.
  Status setting = store->settings().put_setting("learning_mode", "online");
  ASSERT_TRUE(setting.ok()) << setting.message();
  EXPECT_EQ(*store->settings().get_setting("learning_mode"), std::optional<std::string>("online"));

  Status st = writer->begin();
  ASSERT_TRUE(st.ok()) << "begin() must reconnect: " << st.message();
  ASSERT_TRUE(writer->insert(pb, 1, ids).ok());
  ASSERT_TRUE(writer->commit().ok());
  st = store->ping();
  EXPECT_TRUE(st.ok()) << st.message();
  auto n = store->executions().count_executions();
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 2);

  // Killed in the middle of a transaction: the group fails as unavailable, the next one works.
  ASSERT_TRUE(writer->begin().ok());
  db_.admin().exec(
      "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
      "WHERE datname = $1 AND pid <> pg_backend_pid()",
      {db_.name()});
  Execution c = make_execution(3);
  std::vector<const Execution*> pc = {&c};
  st = writer->insert(pc, 1, ids);
  if (st.ok()) st = writer->commit();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.message();
  writer->rollback();
  ASSERT_TRUE(writer->begin().ok());
  ASSERT_TRUE(writer->insert(pc, 1, ids).ok());
  ASSERT_TRUE(writer->commit().ok());
  EXPECT_EQ(*store->executions().count_executions(), 3);
}

TEST_F(PostgresStoreTest, ConcurrentMigrationsAreSafe) {
  constexpr int kStores = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kStores; ++i) {
    auto s = open_store(db_.url());
    ASSERT_TRUE(s.ok());
    stores.push_back(std::move(s).value());
  }
  std::vector<Status> results(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] { results[i] = stores[i]->migrate(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& st : results) EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(db_.admin().exec("SELECT 1"), "1");
  PgAdmin in_db(db_.url());
  ASSERT_TRUE(in_db.ok());
  EXPECT_EQ(in_db.exec("SELECT count(*) FROM schema_migrations"),
            in_db.exec("SELECT max(version) FROM schema_migrations"));
  EXPECT_EQ(in_db.exec("SELECT count(*) FROM executions"), "0");
}

TEST_F(PostgresStoreTest, CommitAfterAFailedInsertDoesNotPretendToSucceed) {
  auto store = std::move(open_store(db_.url())).value();
  ASSERT_TRUE(store->migrate().ok());
  auto writer = std::move(store->executions().open_writer()).value();
  Execution a = make_execution(1);
  std::vector<const Execution*> pa = {&a};
  std::vector<int64_t> ids;
  ASSERT_TRUE(writer->begin().ok());
  ASSERT_TRUE(writer->insert(pa, 1, ids).ok());
  ASSERT_TRUE(writer->commit().ok());

  Execution b = make_execution(2);
  std::vector<const Execution*> both = {&b, &a};
  ASSERT_TRUE(writer->begin().ok());
  EXPECT_EQ(writer->insert(both, 1, ids).code(), StatusCode::kConflict);
  Status st = writer->commit();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(*store->executions().count_executions(), 1);
}

TEST_F(PostgresStoreTest, RefusesNulCharactersInsteadOfTruncating) {
  auto store = std::move(open_store(db_.url())).value();
  ASSERT_TRUE(store->migrate().ok());
  auto writer = std::move(store->executions().open_writer()).value();
  Execution a = make_execution(1);
  a.task_description = std::string("before\0after", 12);
  std::vector<const Execution*> pa = {&a};
  std::vector<int64_t> ids;
  ASSERT_TRUE(writer->begin().ok());
  Status st = writer->insert(pa, 1, ids);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.message();
  EXPECT_EQ(st.field(), "task_description");
  writer->rollback();
  auto found = store->executions().find_execution(std::string("exec-1\0x", 8));
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());

  const std::string nul("a\0b", 3);
  st = store->settings().put_setting("k", nul);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.message();
  EXPECT_EQ(st.field(), "value");
  auto setting = store->settings().get_setting(nul);
  ASSERT_TRUE(setting.ok());
  EXPECT_FALSE(setting->has_value());
  ModelSetRecord set;
  set.version = nul;
  st = store->models().save_model_set(set);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.message();
  EXPECT_EQ(st.field(), "version");
  std::vector<RecommendationLogRow> logged = {log_row("rec-1", 1), log_row("rec-2", 2)};
  logged[1].chosen_agent = nul;
  st = store->recommendation_log().log_recommendations(logged);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.message();
  EXPECT_EQ(st.field(), "chosen_agent");
  EXPECT_TRUE(store->models().list_model_sets()->empty());
}

TEST(OpenStoreTest, RejectsUnknownSchemesClearly) {
  for (const char* url : {"mysql://root:secret@localhost/db", "", "data/agentlearn.sqlite", "sqlite:"}) {
    auto s = open_store(url);
    ASSERT_FALSE(s.ok()) << url;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(s.status().message().find("secret"), std::string::npos) << "leaks the password";
  }
  auto bad = open_store("postgresql://host:notaport:/x?bogus_option=1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().message();
}

}  // namespace
}  // namespace agentlearn
