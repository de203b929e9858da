// SqliteStore on a temporary file: schema, round trips of every field, lookups, filters,
// paging, transactions, durability across reopen and kill -9, the writer's embeddings and its
// checkpoints, and the open_store factory.
#include "store/sqlite/sqlite_store.hpp"
#include "store/embedding_writer.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <future>
#include <thread>
#include <vector>

#include "../support/eventually.hpp"

#include "store/open_store.hpp"

namespace agentlearn {
namespace {

constexpr const char* kNasty = "'; DROP TABLE executions; --";

Execution make_execution(int i) {
  Execution e;
  e.agent_id = "agent-" + std::to_string(i % 3);
  e.task_id = "task-" + std::to_string(i);
  e.execution_time = 1.0 + i;
  e.success = i % 2 == 0;
  e.task_type = i % 2 == 0 ? "code" : "docs";
  e.execution_id = "exec-" + std::to_string(i);
  e.context_json = R"({"i":)" + std::to_string(i) + "}";
  e.metrics_json = R"({"cost_usd":0.5})";
  e.cost_usd = 0.5;
  e.timestamp_us = 1'000'000'000 + int64_t{i} * 1'000;
  e.content_hash = "hash-" + std::to_string(i);
  return e;
}

Execution tricky_execution() {
  Execution e;
  e.agent_id = "агент-🤖-\"dq\"-'sq'";
  e.task_id = kNasty;
  e.execution_time = 0.1 + 0.2;
  e.success = true;
  e.task_description = std::string("multi\nline\ttab \\ backslash ") + kNasty + " 中文";
  e.task_type = "x'y\"z";
  e.execution_id = std::string("id-") + kNasty;
  e.recommendation_id = "rec-é";
  e.context_json = R"({"q":"it's \"quoted\"","u":"ü"})";
  e.metrics_json = R"({"cost_usd":0.25,"n":[1,2]})";
  e.cost_usd = 0.25;
  e.timestamp_us = -5;
  e.timestamp_defaulted = true;
  e.content_hash = "deadbeef";
  return e;
}

void expect_same(const Execution& got, const Execution& want) {
  EXPECT_EQ(got.agent_id, want.agent_id);
  EXPECT_EQ(got.task_id, want.task_id);
  EXPECT_EQ(got.execution_time, want.execution_time);
  EXPECT_EQ(got.success, want.success);
  EXPECT_EQ(got.task_description, want.task_description);
  EXPECT_EQ(got.task_type, want.task_type);
  EXPECT_EQ(got.execution_id, want.execution_id);
  EXPECT_EQ(got.recommendation_id, want.recommendation_id);
  // SQLite stores the JSON text as given, byte for byte.
  EXPECT_EQ(got.context_json, want.context_json);
  EXPECT_EQ(got.metrics_json, want.metrics_json);
  EXPECT_EQ(got.cost_usd, want.cost_usd);
  EXPECT_EQ(got.timestamp_us, want.timestamp_us);
  EXPECT_EQ(got.timestamp_defaulted, want.timestamp_defaulted);
  EXPECT_EQ(got.content_hash, want.content_hash);
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("agentlearn_sqlite_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "sub" / "dir" / "test.db").string();  // parents do not exist yet
    reopen();
  }
  void TearDown() override {
    writer_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void reopen() {
    writer_.reset();
    store_.reset();
    auto s = SqliteStore::open(path_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
    Status st = store_->migrate();
    ASSERT_TRUE(st.ok()) << st.message();
    auto w = store_->executions().open_writer();
    ASSERT_TRUE(w.ok()) << w.status().message();
    writer_ = std::move(w).value();
  }

  std::vector<int64_t> insert(const std::vector<Execution>& rows, int64_t received_us = 7) {
    std::vector<const Execution*> ptrs;
    for (const auto& r : rows) ptrs.push_back(&r);
    std::vector<int64_t> ids;
    EXPECT_TRUE(writer_->begin().ok());
    Status st = writer_->insert(ptrs, received_us, ids);
    EXPECT_TRUE(st.ok()) << st.message();
    st = writer_->commit();
    EXPECT_TRUE(st.ok()) << st.message();
    return ids;
  }

  int64_t count() {
    auto c = store_->executions().count_executions();
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? *c : -1;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<StoreWriter> writer_;
};

TEST_F(SqliteStoreTest, CreatesTheFileInWalModeAndMigratesTwice) {
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_STREQ(store_->backend(), "sqlite");
  EXPECT_TRUE(store_->ping().ok());
  ASSERT_TRUE(store_->migrate().ok());
  ASSERT_TRUE(store_->migrate().ok());
  EXPECT_EQ(count(), 0);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  auto one = [&](const char* sql) {
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  };
  EXPECT_EQ(one("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(one("SELECT count(*) FROM schema_migrations"), "7");
  // executions_ts_idx and the three partial ones; the UNIQUE one is sqlite_autoindex_*.
  EXPECT_EQ(one("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'executions_%'"),
            "4");
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, RoundTripsEveryField) {
  Execution minimal;
  minimal.agent_id = "a";
  minimal.task_id = "t";
  minimal.content_hash = "h";
  auto ids = insert({tricky_execution(), minimal}, 1'700'000'000'000'001);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_LT(ids[0], ids[1]);

  auto found = store_->executions().find_execution(*tricky_execution().execution_id);
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, ids[0]);
  EXPECT_EQ((*found)->received_us, 1'700'000'000'000'001);
  EXPECT_FALSE((*found)->anomaly_score.has_value());
  EXPECT_FALSE((*found)->anomaly.has_value());
  expect_same((*found)->execution, tricky_execution());

  std::vector<StoredRow> rows;
  ASSERT_TRUE(store_->executions().scan_executions(0, 0, [&](const StoredRow& r) { rows.push_back(r); }).ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].id, ids[1]);
  expect_same(rows[1].execution, minimal);
  EXPECT_FALSE(rows[1].execution.task_description.has_value());
  EXPECT_FALSE(rows[1].execution.task_type.has_value());
  EXPECT_FALSE(rows[1].execution.execution_id.has_value());
  EXPECT_FALSE(rows[1].execution.recommendation_id.has_value());
  EXPECT_FALSE(rows[1].execution.cost_usd.has_value());
}

TEST_F(SqliteStoreTest, FindExisting) {
  auto ids = insert({make_execution(1), tricky_execution()});
  ASSERT_TRUE(writer_->begin().ok());
  std::vector<std::string> q = {*tricky_execution().execution_id, "nope", "exec-1", kNasty};
  std::vector<std::optional<ExistingExecution>> out;
  ASSERT_TRUE(writer_->find_existing(q, out).ok());
  ASSERT_EQ(out.size(), 4u);
  ASSERT_TRUE(out[0]);
  EXPECT_EQ(out[0]->id, ids[1]);
  EXPECT_EQ(out[0]->content_hash, "deadbeef");
  EXPECT_FALSE(out[1]);
  ASSERT_TRUE(out[2]);
  EXPECT_EQ(out[2]->id, ids[0]);
  EXPECT_EQ(out[2]->content_hash, "hash-1");
  EXPECT_FALSE(out[3]);
  writer_->rollback();
}

TEST_F(SqliteStoreTest, ScanExecutionsPages) {
  std::vector<Execution> rows;
  for (int i = 0; i < 12; ++i) rows.push_back(make_execution(i));
  auto ids = insert(rows);
  std::vector<int64_t> got;
  int64_t after = 0;
  for (int page = 0; page < 10; ++page) {
    size_t n = 0;
    ASSERT_TRUE(store_->executions().scan_executions(after, 5, [&](const StoredRow& r) {
                        got.push_back(r.id);
                        after = r.id;
                        ++n;
                      }).ok());
    if (n == 0) break;
    EXPECT_LE(n, 5u);
  }
  EXPECT_EQ(got, ids);  // ids are ascending in insert order
  size_t n = 0;
  ASSERT_TRUE(store_->executions().scan_executions(ids.back(), 0, [&](const StoredRow&) { ++n; }).ok());
  EXPECT_EQ(n, 0u);
}

TEST_F(SqliteStoreTest, FindExecutionMissing) {
  insert({make_execution(1)});
  auto r = store_->executions().find_execution("exec-2");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  r = store_->executions().find_execution(kNasty);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST_F(SqliteStoreTest, RollbackStoresNothing) {
  Execution e = make_execution(1);
  std::vector<const Execution*> ptrs = {&e};
  std::vector<int64_t> ids;
  ASSERT_TRUE(writer_->begin().ok());
  ASSERT_TRUE(writer_->insert(ptrs, 1, ids).ok());
  writer_->rollback();
  writer_->rollback();
  EXPECT_EQ(count(), 0);
  insert({e});
  EXPECT_EQ(count(), 1);
}

TEST_F(SqliteStoreTest, DuplicateExecutionIdIsConflict) {
  insert({make_execution(1)});
  Execution e = make_execution(1);
  std::vector<const Execution*> ptrs = {&e};
  std::vector<int64_t> ids;
  ASSERT_TRUE(writer_->begin().ok());
  Status st = writer_->insert(ptrs, 1, ids);
  EXPECT_EQ(st.code(), StatusCode::kConflict) << st.message();
  writer_->rollback();
  EXPECT_EQ(count(), 1);
}

TEST_F(SqliteStoreTest, BeginAfterAnAbandonedTransactionStartsFresh) {
  Execution e = make_execution(1);
  std::vector<const Execution*> ptrs = {&e};
  std::vector<int64_t> ids;
  ASSERT_TRUE(writer_->begin().ok());
  ASSERT_TRUE(writer_->insert(ptrs, 1, ids).ok());
  // No commit, no rollback: the next group must not inherit these rows.
  Execution f = make_execution(2);
  std::vector<const Execution*> fptrs = {&f};
  ASSERT_TRUE(writer_->begin().ok());
  ASSERT_TRUE(writer_->insert(fptrs, 1, ids).ok());
  ASSERT_TRUE(writer_->commit().ok());
  EXPECT_EQ(count(), 1);
  auto r = store_->executions().find_execution("exec-2");
  ASSERT_TRUE(r.ok() && r->has_value());
}

TEST_F(SqliteStoreTest, ReopeningTheFileKeepsData) {
  auto ids = insert({make_execution(1), tricky_execution()});
  reopen();
  EXPECT_EQ(count(), 2);
  auto r = store_->executions().find_execution(*tricky_execution().execution_id);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->id, ids[1]);
  expect_same((*r)->execution, tricky_execution());
}

TEST_F(SqliteStoreTest, CommittedRowsSurviveKill9) {
  writer_.reset();
  store_.reset();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: commit, then die without any cleanup (no destructors, no close).
    auto s = SqliteStore::open(path_);
    if (!s.ok()) ::_exit(2);
    auto w = (*s)->executions().open_writer();
    if (!w.ok()) ::_exit(3);
    std::vector<Execution> rows;
    for (int i = 0; i < 100; ++i) rows.push_back(make_execution(i));
    std::vector<const Execution*> ptrs;
    for (const auto& r : rows) ptrs.push_back(&r);
    std::vector<int64_t> ids;
    if (!(*w)->begin().ok() || !(*w)->insert(ptrs, 1, ids).ok() || !(*w)->commit().ok()) ::_exit(4);
    // An uncommitted transaction in flight when the process dies must vanish.
    Execution extra = make_execution(1000);
    std::vector<const Execution*> eptrs = {&extra};
    if (!(*w)->begin().ok() || !(*w)->insert(eptrs, 1, ids).ok()) ::_exit(5);
    ::kill(::getpid(), SIGKILL);
    ::_exit(6);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  reopen();
  EXPECT_EQ(count(), 100);
  auto r = store_->executions().find_execution("exec-1000");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST_F(SqliteStoreTest, WriterSavesEmbeddingsInItsTransaction) {
  auto* vectors = writer_->embeddings();
  ASSERT_NE(vectors, nullptr) << "the SQLite writer stores embeddings in its transaction";
  auto vector_of = [](int64_t id, float x) {
    EmbeddingRecord r;
    r.id = id;
    r.task_id = "task-" + std::to_string(id);
    r.task_key = task_key(r.task_id);
    r.version = "emb-1";
    r.vector = {x, 1.0f - x, 0.5f};
    return r;
  };
  auto embedded = [&] {
    std::map<int64_t, std::vector<float>> out;
    Status st = store_->embeddings().scan_embeddings("emb-1", 0, 0, [&](const EmbeddingRecord& r) { out[r.id] = r.vector; });
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  };
  auto stored = insert({make_execution(1)});
  // Rolled back with the transaction's executions.
  Execution fresh = make_execution(2);
  std::vector<const Execution*> ptrs = {&fresh};
  std::vector<int64_t> ids;
  ASSERT_TRUE(writer_->begin().ok());
  ASSERT_TRUE(writer_->insert(ptrs, 7, ids).ok());
  std::vector<EmbeddingRecord> rows = {vector_of(stored[0], 0.25f), vector_of(ids[0], 0.75f)};
  ASSERT_TRUE(vectors->save_embeddings(rows).ok());
  writer_->rollback();
  EXPECT_EQ(count(), 1);
  EXPECT_TRUE(embedded().empty());
  // Committed with them; a second save of the same id replaces its vector.
  ASSERT_TRUE(writer_->begin().ok());
  ASSERT_TRUE(writer_->insert(ptrs, 7, ids).ok());
  rows = {vector_of(stored[0], 0.25f), vector_of(ids[0], 0.75f)};
  ASSERT_TRUE(vectors->save_embeddings(rows).ok());
  rows = {vector_of(stored[0], 0.5f)};
  ASSERT_TRUE(vectors->save_embeddings(rows).ok());
  ASSERT_TRUE(writer_->commit().ok());
  reopen();
  vectors = writer_->embeddings();  // the new writer's
  ASSERT_NE(vectors, nullptr);
  auto got = embedded();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[stored[0]], (std::vector<float>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(got[ids[0]], (std::vector<float>{0.75f, 0.25f, 0.5f}));
  // A vector for no stored execution is refused, naming the field.
  ASSERT_TRUE(writer_->begin().ok());
  rows = {vector_of(999999, 0.1f)};
  Status st = vectors->save_embeddings(rows);
  EXPECT_FALSE(st.ok());
  writer_->rollback();
  EXPECT_EQ(embedded().size(), 2u);
}

TEST_F(SqliteStoreTest, CheckpointsRunOffTheWriterAndKeepEveryCommit) {
  // Commits past SQLite's 1,000-page checkpoint threshold: the pages reach the database file
  // through the writer's checkpoint thread (the commits themselves only append to the WAL).
  const auto db_bytes = [&] { return std::filesystem::file_size(path_); };
  const auto before = db_bytes();
  int64_t written = 0;
  std::string big(2000, 'x');
  for (int group = 0; group < 25; ++group) {  // about 10 MB of rows
    std::vector<Execution> rows;
    for (int i = 0; i < 200; ++i) {
      Execution e = make_execution(static_cast<int>(written++));
      e.task_description = big;
      rows.push_back(std::move(e));
    }
    insert(rows);
  }
  EXPECT_TRUE(testing::eventually([&] { return db_bytes() > before + 2u * 1024 * 1024; }))
      << "the database file stayed at " << db_bytes() << " bytes";
  reopen();
  EXPECT_EQ(count(), written);
}

TEST_F(SqliteStoreTest, ReadersSeeCommitsFromTheWriter) {
  ASSERT_EQ(count(), 0);  // a pooled reader now exists with an older view
  insert({make_execution(1)});
  EXPECT_EQ(count(), 1);
}

TEST_F(SqliteStoreTest, ServiceWritesWaitForTheWriterAndPingDoesNotWaitForThem) {
  // A second store on the file, as a second replica would be, whose busy handler says when a
  // statement of its finds the lock taken: the proof that its write is waiting, whatever the
  // machine's load. Patient: only the commit below ends the wait.
  std::promise<void> waiting;
  std::atomic<int> busy{0};
  SqliteOptions watched;
  watched.busy_timeout_ms = 600'000;
  watched.on_busy = [&] {
    if (busy.fetch_add(1) == 0) waiting.set_value();
  };
  auto other = SqliteStore::open(path_, watched);
  ASSERT_TRUE(other.ok()) << other.status().message();

  Execution e = make_execution(1);
  std::vector<const Execution*> ptrs = {&e};
  std::vector<int64_t> ids;
  ASSERT_TRUE(writer_->begin().ok());
  ASSERT_TRUE(writer_->insert(ptrs, 1, ids).ok());  // the group writer holds the write lock
  std::atomic<bool> done{false};
  Status put;
  std::thread t([&] {
    put = (*other)->settings().put_setting("learning_mode", "online");
    done = true;
  });
  ASSERT_EQ(waiting.get_future().wait_for(std::chrono::seconds(60)), std::future_status::ready)
      << "put_setting never met the writer's lock";
  EXPECT_FALSE(done) << "put_setting returned while the lock was held";
  // Reads never wait (WAL): were they to wait for the lock this thread holds, they would time
  // out and fail, since the commit below comes only after them.
  EXPECT_TRUE(store_->ping().ok());
  EXPECT_TRUE(store_->settings().get_setting("learning_mode").ok());
  EXPECT_TRUE((*other)->ping().ok());
  ASSERT_TRUE(writer_->commit().ok());
  t.join();
  EXPECT_TRUE(put.ok()) << put.message();
  EXPECT_EQ(*store_->settings().get_setting("learning_mode"), std::optional<std::string>("online"));
  EXPECT_EQ(count(), 1);
}

TEST_F(SqliteStoreTest, ServiceWriteThatCannotGetTheLockIsUnavailable) {
  SqliteOptions impatient;
  impatient.busy_timeout_ms = 100;
  auto other = SqliteStore::open(path_, impatient);
  ASSERT_TRUE(other.ok()) << other.status().message();
  Execution e = make_execution(1);
  std::vector<const Execution*> ptrs = {&e};
  std::vector<int64_t> ids;
  ASSERT_TRUE(writer_->begin().ok());
  ASSERT_TRUE(writer_->insert(ptrs, 1, ids).ok());
  Status st = (*other)->settings().put_setting("learning_mode", "online");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.message();
  ModelActivation a;
  a.version = "v1";
  EXPECT_EQ((*other)->models().record_activation(a).code(), StatusCode::kUnavailable);
  writer_->rollback();
  // Nothing half-done stays behind: the same writes now succeed.
  EXPECT_TRUE((*other)->settings().put_setting("learning_mode", "online").ok());
  EXPECT_TRUE((*other)->models().record_activation(a).ok());
  EXPECT_EQ(store_->models().activations()->size(), 1u);
}

TEST_F(SqliteStoreTest, ServiceWritesSurviveKill9) {
  writer_.reset();
  store_.reset();
  std::string blob(3 << 20, '\0');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 131 + i / 7);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: write, then die without any cleanup (no destructors, no close).
    auto s = SqliteStore::open(path_);
    if (!s.ok()) ::_exit(2);
    ModelSetRecord set;
    set.version = "v1";
    set.summary_json = "{}";
    set.blob = blob;
    ModelActivation a;
    a.version = "v1";
    RecommendationLogRow r;
    r.recommendation_id = "rec-1";
    std::vector<RecommendationLogRow> rows = {r};
    if (!(*s)->models().save_model_set(set).ok() || !(*s)->models().record_activation(a).ok() ||
        !(*s)->settings().put_setting("learning_mode", "online").ok() || !(*s)->recommendation_log().log_recommendations(rows).ok()) {
      ::_exit(3);
    }
    ::kill(::getpid(), SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  reopen();
  auto set = store_->models().load_model_set("v1");
  ASSERT_TRUE(set.ok() && set->has_value());
  EXPECT_TRUE((*set)->blob == blob);
  EXPECT_EQ(store_->models().activations()->size(), 1u);
  EXPECT_EQ(*store_->settings().get_setting("learning_mode"), std::optional<std::string>("online"));
  // The log row is there: an execution that followed it joins it.
  Execution e = make_execution(1);
  e.recommendation_id = "rec-1";
  insert({e});
  size_t joined = 0;
  ASSERT_TRUE(store_->recommendation_log().scan_logged_outcomes([&](const RecommendationLogRow&, const StoredRow&) { ++joined; }).ok());
  EXPECT_EQ(joined, 1u);
}

TEST(SqliteMemoryStoreTest, ConnectionsShareOneDatabase) {
  auto s = open_store("sqlite::memory:");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->migrate().ok());
  auto w = (*s)->executions().open_writer();
  ASSERT_TRUE(w.ok()) << w.status().message();
  Execution e = make_execution(1);
  std::vector<const Execution*> ptrs = {&e};
  std::vector<int64_t> ids;
  ASSERT_TRUE((*w)->begin().ok());
  ASSERT_TRUE((*w)->insert(ptrs, 1, ids).ok());
  ASSERT_TRUE((*w)->commit().ok());
  auto c = (*s)->executions().count_executions();
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*c, 1);
  // The service-write connection joins the same database, blob I/O included.
  ModelSetRecord set;
  set.version = "v1";
  set.blob = std::string("\0blob\xff", 6);
  ASSERT_TRUE((*s)->models().save_model_set(set).ok());
  auto loaded = (*s)->models().load_model_set("v1");
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.status().message();
  EXPECT_EQ((*loaded)->blob, set.blob);

  // A second in-memory store is a different database.
  auto other = open_store("sqlite::memory:");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->migrate().ok());
  EXPECT_EQ(*(*other)->executions().count_executions(), 0);
}

TEST(OpenStoreUnitTest, ParsesUrls) {
  auto dir = std::filesystem::temp_directory_path() / ("agentlearn_open_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  for (const std::string& url :
       {"sqlite:" + (dir / "a.db").string(), "sqlite://" + (dir / "b.db").string(),
        (dir / "c.db").string()}) {
    auto s = open_store(url);
    ASSERT_TRUE(s.ok()) << url << ": " << s.status().message();
    EXPECT_STREQ((*s)->backend(), "sqlite");
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "a.db"));
  EXPECT_TRUE(std::filesystem::exists(dir / "b.db"));
  EXPECT_TRUE(std::filesystem::exists(dir / "c.db"));

  for (const char* url : {"postgresql://u@127.0.0.1:1/db", "postgres://u@localhost/db"}) {
    auto s = open_store(url);  // does not connect
    ASSERT_TRUE(s.ok()) << url << ": " << s.status().message();
    EXPECT_STREQ((*s)->backend(), "postgresql");
  }
  for (const char* url : {"", "mysql://root:pw@h/db", "data.sqlite", "sqlite:", "http://x.db"}) {
    auto s = open_store(url);
    ASSERT_FALSE(s.ok()) << url;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_FALSE(s.status().message().empty());
  }
  std::filesystem::remove_all(dir);
}

TEST(OpenStoreUnitTest, UnwritableLocationIsAnError) {
  auto s = SqliteStore::open("/proc/agentlearn/forbidden/x.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().message();
}

}  // namespace
}  // namespace agentlearn
