// The analytics cells in the real backends (SQLite, PostgreSQL, PGlite): kept by the group
// writers' transactions, every figure equal to a full scan on random unaligned filters
// (percentiles exact or within the sketch's error), the backfill migration rebuilding the
// same cells from stored executions, and two PostgreSQL writers (replicas) updating the same
// cells at once without losing an update. PostgreSQL cases fail, never skip, without
// AGENTLEARN_TEST_PG_URL; PGlite cases without AGENTLEARN_TEST_PGLITE_URL.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "analytics_oracle.hpp"
#include "server_process.hpp"
#include "store/open_store.hpp"
#include "store/store.hpp"

namespace agentlearn {
namespace {

constexpr int64_t kDayUs = 86400LL * 1'000'000;
constexpr int64_t kT0 = 1767571200LL * 1'000'000 + 1234567;  // 2026-01-05, off every boundary
constexpr int64_t kSpan = 30 * kDayUs;

// Runs one statement; the first column of the first row, "" when none, or "ERROR: ...".
std::string pg_exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string out;
  if (PQstatus(c) != CONNECTION_OK) {
    out = std::string("ERROR: ") + PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      out = std::string("ERROR: ") + PQresultErrorMessage(r);
    } else if (PQntuples(r) > 0 && PQnfields(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

std::string sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  int rc = sqlite3_open(path.c_str(), &db);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    rc = sqlite3_exec(
        db, sql.c_str(),
        [](void* p, int n, char** v, char**) {
          auto* o = static_cast<std::string*>(p);
          if (o->empty() && n > 0 && v[0] != nullptr) *o = v[0];
          return 0;
        },
        &out, &err);
    if (rc != SQLITE_OK) out = std::string("ERROR: ") + (err ? err : "?");
    sqlite3_free(err);
  }
  sqlite3_close(db);
  return out;
}

std::string with_database(const std::string& url, const std::string& db) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t query = url.find('?', start);
  size_t slash = url.find('/', start);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return url.substr(0, std::min(slash, query)) + "/" + db + tail;
}

class AnalyticsStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const std::string name = "agentlearn_an_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    if (GetParam() == "postgresql") {
      const char* admin = std::getenv("AGENTLEARN_TEST_PG_URL");
      ASSERT_NE(admin, nullptr) << "AGENTLEARN_TEST_PG_URL is not set; PostgreSQL tests never skip";
      admin_url_ = admin;
      ASSERT_EQ(pg_exec(admin_url_, "CREATE DATABASE " + name), "");
      db_name_ = name;
      url_ = with_database(admin_url_, name);
    } else if (GetParam() == "pglite") {
      url_ = testing::pglite_url();
      ASSERT_EQ(testing::reset_pglite_database(), "");
    } else {
      dir_ = std::filesystem::temp_directory_path() / name;
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "store.db").string();
    }
    store_ = open();
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->migrate().ok());
  }
  void TearDown() override {
    store_.reset();
    if (!db_name_.empty()) pg_exec(admin_url_, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Store> open() {
    auto s = open_store(url_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::string sql(const std::string& q) {
    return GetParam() == "sqlite" ? sqlite_exec((dir_ / "store.db").string(), q) : pg_exec(url_, q);
  }
  // Writes `rows` in groups of varied sizes (one row, a few, and past PostgreSQL's COPY
  // threshold), each group one transaction as the group writer makes it.
  static void write_groups(Store& store, const std::vector<Execution>& rows) {
    auto w = store.executions().open_writer();
    ASSERT_TRUE(w.ok()) << w.status().message();
    const size_t sizes[] = {1, 7, 300, 16, 1, 1000};
    size_t at = 0;
    for (int g = 0; at < rows.size(); ++g) {
      const size_t n = std::min(sizes[g % 6], rows.size() - at);
      std::vector<const Execution*> ptrs;
      for (size_t i = 0; i < n; ++i) ptrs.push_back(&rows[at + i]);
      std::vector<int64_t> ids;
      ASSERT_TRUE((*w)->begin().ok());
      Status st = (*w)->insert(ptrs, 1, ids);
      ASSERT_TRUE(st.ok()) << st.message();
      st = (*w)->add_to_cells(ptrs);
      ASSERT_TRUE(st.ok()) << st.message();
      st = (*w)->commit();
      ASSERT_TRUE(st.ok()) << st.message();
      at += n;
    }
  }
  void check_random_filters(uint32_t seed, int n) {
    auto rows = testing::all_executions(store_->executions());
    std::mt19937_64 rng(seed);
    for (int i = 0; i < n; ++i) {
      // Mostly sketched percentiles; every fourth query small enough to be exact.
      testing::check_filter(store_->analytics(), rows, testing::random_filter(rng, kT0, kSpan), i % 4 == 0 ? 1'000'000 : 100);
      if (HasFatalFailure()) return;
    }
  }

  std::string url_, admin_url_, db_name_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(AnalyticsStoreTest, CellsMatchAScanOnRandomFilters) {
  write_groups(*store_, testing::analytics_workload(4000, 21, kT0, kSpan));
  check_random_filters(31, 40);
}

TEST_P(AnalyticsStoreTest, BackfillMigrationRebuildsTheCellsOfStoredExecutions) {
  write_groups(*store_, testing::analytics_workload(3000, 22, kT0, kSpan));
  const std::string shape = "SELECT count(*) || '/' || sum(executions) || '/' || sum(successes) FROM analytics_cells";
  const std::string before = sql(shape);
  ASSERT_EQ(before.rfind("ERROR", 0), std::string::npos) << before;
  store_.reset();
  // Back to a store from before the analytics cells: executions stored, no cells (migration
  // 4 creates them, 6 gives them their present form and fills them).
  for (const char* statement :
       {"DROP TABLE analytics_cells", "DROP INDEX executions_flagged_ts_idx",
        "ALTER TABLE executions DROP COLUMN out_of_range", "DELETE FROM schema_migrations WHERE version >= 4"}) {
    ASSERT_EQ(sql(statement), "") << statement;
  }
  store_ = open();
  ASSERT_NE(store_, nullptr);
  Status st = store_->migrate();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations WHERE version >= 4"), "3");
  EXPECT_EQ(sql(shape), before);
  check_random_filters(32, 25);
  // New writes go on adding to the backfilled cells.
  write_groups(*store_, testing::analytics_workload(500, 23, kT0, kSpan));
  check_random_filters(33, 10);
}

TEST_P(AnalyticsStoreTest, NothingStoredAnswersEmpty) {
  Analytics a(store_->analytics());
  auto p = a.performance({});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p->agents.empty());
  DashboardQuery q;
  q.filter.since_us = kT0;
  q.filter.until_us = kT0 + kSpan;
  auto d = a.dashboard(q);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->executions, 0u);
  EXPECT_TRUE(d->task_types.empty());
  for (const auto& point : d->series) EXPECT_EQ(point.executions, 0u);
}

TEST_P(AnalyticsStoreTest, AFailedGroupAddsNothingToTheCells) {
  auto rows = testing::analytics_workload(50, 24, kT0, kSpan);
  write_groups(*store_, rows);
  auto w = store_->executions().open_writer();
  ASSERT_TRUE(w.ok());
  auto more = testing::analytics_workload(20, 25, kT0, kSpan);
  std::vector<const Execution*> ptrs;
  for (const auto& e : more) ptrs.push_back(&e);
  std::vector<int64_t> ids;
  // A group whose insert and cell update succeeded inside the transaction and that then
  // fails before the commit: the cells go back with the executions.
  ASSERT_TRUE((*w)->begin().ok());
  ASSERT_TRUE((*w)->insert(ptrs, 1, ids).ok());
  ASSERT_EQ(ids.size(), more.size());
  ASSERT_TRUE((*w)->add_to_cells(ptrs).ok());
  (*w)->rollback();
  check_random_filters(34, 10);
  // A group that reuses an execution_id: the insert itself fails and the group rolls back.
  more.push_back(rows[0]);
  ptrs.clear();
  for (const auto& e : more) ptrs.push_back(&e);
  ids.clear();
  ASSERT_TRUE((*w)->begin().ok());
  EXPECT_FALSE((*w)->insert(ptrs, 1, ids).ok());
  (*w)->rollback();
  check_random_filters(35, 10);
  Analytics a(store_->analytics());
  auto p = a.performance({});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->total_executions, 50u);
}

// Two stores on one database, as two replicas: each writer's groups add to the same cells
// (same agents, types and buckets) at the same time; no update may be lost. (SQLite's
// writers take turns through BEGIN IMMEDIATE; PostgreSQL's through the advisory lock.)
TEST_P(AnalyticsStoreTest, ConcurrentWritersLoseNoUpdates) {
  auto other = open();
  ASSERT_NE(other, nullptr);
  std::vector<Execution> a = testing::analytics_workload(1200, 26, kT0, kDayUs, 3, 2);
  std::vector<Execution> b = testing::analytics_workload(1200, 27, kT0, kDayUs, 3, 2);
  auto run = [](Store& s, const std::vector<Execution>& rows) {
    auto w = s.executions().open_writer();
    ASSERT_TRUE(w.ok());
    for (size_t at = 0; at < rows.size(); at += 10) {
      std::vector<const Execution*> ptrs;
      for (size_t i = at; i < at + 10; ++i) ptrs.push_back(&rows[i]);
      std::vector<int64_t> ids;
      ASSERT_TRUE((*w)->begin().ok());
      Status st = (*w)->insert(ptrs, 1, ids);
      ASSERT_TRUE(st.ok()) << st.message();
      st = (*w)->add_to_cells(ptrs);
      ASSERT_TRUE(st.ok()) << st.message();
      st = (*w)->commit();
      ASSERT_TRUE(st.ok()) << st.message();
    }
  };
  std::thread t1([&] { run(*store_, a); });
  std::thread t2([&] { run(*other, b); });
  t1.join();
  t2.join();
  EXPECT_EQ(sql("SELECT sum(executions) FROM analytics_cells WHERE scope = 3"),
            std::to_string(2400 * analytics::kLevels));
  check_random_filters(35, 15);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsStoreTest, ::testing::Values("sqlite", "postgresql", "pglite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace agentlearn
