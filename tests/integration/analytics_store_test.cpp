// The analytics cells in the real backends (SQLite, PostgreSQL, PGlite): the group writers'
// journal rows, the rollup rounds that fold them into the cells, and the answers that add
// what is still pending: every figure equal to a full scan on random unaligned filters
// (percentiles exact or within the sketch's error) whatever is pending, the backfill
// migration rebuilding the same cells from stored executions, rounds killed mid-way or run
// by two leaders at once, and ids committed out of order on PostgreSQL. PostgreSQL cases fail, never skip, without
// AGENTLEARN_TEST_PG_URL; PGlite cases without AGENTLEARN_TEST_PGLITE_URL.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "analytics_oracle.hpp"
#include "server_process.hpp"
#include "service/analytics_rollup.hpp"
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

// Writes `rows` through a writer of `store` in groups of the given sizes (cycled), each
// group one transaction as the group writer makes it: the executions and their journal row.
void write_in_groups(Store& store, const std::vector<Execution>& rows, const std::vector<size_t>& sizes) {
  auto w = store.executions().open_writer();
  ASSERT_TRUE(w.ok()) << w.status().message();
  size_t at = 0;
  for (size_t g = 0; at < rows.size(); ++g) {
    const size_t n = std::min(sizes[g % sizes.size()], rows.size() - at);
    std::vector<const Execution*> ptrs;
    for (size_t i = 0; i < n; ++i) ptrs.push_back(&rows[at + i]);
    std::vector<int64_t> ids;
    ASSERT_TRUE((*w)->begin().ok());
    Status st = (*w)->insert(ptrs, 1, ids);
    ASSERT_TRUE(st.ok()) << st.message();
    st = (*w)->journal(ids, 1);
    ASSERT_TRUE(st.ok()) << st.message();
    st = (*w)->commit();
    ASSERT_TRUE(st.ok()) << st.message();
    at += n;
  }
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
    write_in_groups(store, rows, {1, 7, 300, 16, 1, 1000});
  }
  // Rounds until the journal is empty, as a CLI command does when it closes the store.
  void drain() {
    auto r = AnalyticsRollup(store_->analytics(), nullptr).drain();
    ASSERT_TRUE(r.ok()) << r.status().message();
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
  drain();
  const std::string shape = "SELECT count(*) || '/' || sum(executions) || '/' || sum(successes) FROM rollup_cells";
  const std::string before = sql(shape);
  ASSERT_EQ(before.rfind("ERROR", 0), std::string::npos) << before;
  store_.reset();
  // Back to a store from before the analytics cells: executions stored, no cells (migration
  // 4 creates them, 6 gives them their present form and fills them, 7 renames them).
  for (const char* statement :
       {"DROP TABLE rollup_cells", "DROP TABLE analytics_journal", "DROP TABLE analytics_rollup",
        "DROP INDEX executions_flagged_ts_idx", "ALTER TABLE executions DROP COLUMN out_of_range",
        "DELETE FROM schema_migrations WHERE version >= 4"}) {
    ASSERT_EQ(sql(statement), "") << statement;
  }
  store_ = open();
  ASSERT_NE(store_, nullptr);
  Status st = store_->migrate();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations WHERE version >= 4"), "4");
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
  ASSERT_TRUE((*w)->journal(ids, 1).ok());
  (*w)->rollback();
  drain();
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

// Two stores on one database, as two replicas, each writing groups that fall in the same
// cells and each running rollup rounds at the same time (two leaders): every row is folded
// exactly once (the rounds' counts add up to the rows, the cells equal a scan).
TEST_P(AnalyticsStoreTest, TwoWritersAndTwoLeadersCountEveryRowOnce) {
  auto other = open();
  ASSERT_NE(other, nullptr);
  std::vector<Execution> a = testing::analytics_workload(1200, 26, kT0, kDayUs, 3, 2);
  std::vector<Execution> b = testing::analytics_workload(1200, 27, kT0, kDayUs, 3, 2);
  std::atomic<int> writing{2};
  std::atomic<uint64_t> folded{0};
  auto leader = [&](Store& s) {
    RollupOptions small;
    small.max_executions = 25;  // many short rounds, interleaved with the other leader's
    while (true) {
      const bool done_writing = writing.load() == 0;
      auto r = s.analytics().roll_up(small);
      ASSERT_TRUE(r.ok()) << r.status().message();
      folded += r->executions;
      if (done_writing && r->journal_rows == 0) return;
    }
  };
  std::thread t1([&] { write_in_groups(*store_, a, {10}); --writing; });
  std::thread t2([&] { write_in_groups(*other, b, {10}); --writing; });
  std::thread l1([&] { leader(*store_); });
  std::thread l2([&] { leader(*other); });
  t1.join();
  t2.join();
  l1.join();
  l2.join();
  EXPECT_EQ(folded.load(), 2400u);
  auto backlog = store_->analytics().backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(backlog->journal_rows, 0u);
  EXPECT_EQ(sql("SELECT sum(executions) FROM rollup_cells WHERE scope = 3"),
            std::to_string(2400 * analytics::kLevels));
  check_random_filters(35, 15);
}

// Answers are exact whatever is pending: all of it, part of it after bounded rounds, none.
TEST_P(AnalyticsStoreTest, PendingExecutionsAreCountedUntilRolledUp) {
  write_groups(*store_, testing::analytics_workload(3000, 41, kT0, kSpan));
  auto backlog = store_->analytics().backlog();
  ASSERT_TRUE(backlog.ok()) << backlog.status().message();
  EXPECT_EQ(backlog->executions, 3000u);
  EXPECT_TRUE(backlog->oldest_us.has_value());
  EXPECT_EQ(sql("SELECT count(*) FROM rollup_cells"), "0") << "the writer touched no cell";
  check_random_filters(42, 12);
  RollupOptions bounded;
  bounded.max_executions = 1000;
  auto round = store_->analytics().roll_up(bounded);
  ASSERT_TRUE(round.ok()) << round.status().message();
  EXPECT_GE(round->executions, 1000u);
  EXPECT_LT(round->executions, 3000u) << "a round stops at its bound";
  check_random_filters(43, 12);
  drain();
  backlog = store_->analytics().backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(backlog->journal_rows, 0u);
  EXPECT_EQ(backlog->executions, 0u);
  EXPECT_FALSE(backlog->oldest_us.has_value());
  EXPECT_EQ(sql("SELECT sum(executions) FROM rollup_cells WHERE scope = 3"),
            std::to_string(3000 * analytics::kLevels));
  check_random_filters(44, 12);
}

// The rollup paused with 100,000 executions pending (no round runs): answers stay exact,
// read from the cells of what came before plus every pending row.
TEST_P(AnalyticsStoreTest, AHundredThousandPendingExecutionsStayExact) {
  write_groups(*store_, testing::analytics_workload(2000, 57, kT0, kSpan));
  drain();
  write_in_groups(*store_, testing::analytics_workload(100000, 58, kT0, kSpan), {1000});
  auto backlog = store_->analytics().backlog();
  ASSERT_TRUE(backlog.ok()) << backlog.status().message();
  EXPECT_EQ(backlog->executions, 100000u);
  EXPECT_EQ(backlog->journal_rows, 100u);
  check_random_filters(59, 6);
  // One server's answers fetch each pending row once: the journal's new rows only (and their
  // edges, read by time as always), not the backlog again.
  Analytics a(store_->analytics());
  auto first = a.performance({});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->total_executions, 102000u);
  EXPECT_EQ(a.pending_rows_fetched(), 100000u);
  DashboardQuery q;
  q.filter.since_us = kT0 + kDayUs / 3;
  q.filter.until_us = kT0 + 11 * kDayUs;
  ASSERT_TRUE(a.dashboard(q).ok());
  ASSERT_TRUE(a.performance({}).ok());
  EXPECT_EQ(a.pending_rows_fetched(), 100000u) << "nothing new was journaled";
  write_in_groups(*store_, testing::analytics_workload(1000, 60, kT0, kSpan), {1000});
  auto more = a.performance({});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->total_executions, 103000u);
  EXPECT_EQ(a.pending_rows_fetched(), 101000u) << "only the new journal row's executions";
  drain();
  auto after = a.performance({});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->total_executions, 103000u);
  EXPECT_EQ(a.pending_rows_fetched(), 101000u);
  check_random_filters(61, 4);
}

// A round that fails after writing the cells (the process killed mid-round) leaves nothing
// behind: the journal still names its rows, the cells and the epoch are as they were, and
// the next round folds the rows once.
TEST_P(AnalyticsStoreTest, ARoundKilledMidwayLeavesNothingBehind) {
  write_groups(*store_, testing::analytics_workload(800, 45, kT0, kSpan));
  RollupOptions killed;
  killed.before_commit = [] { return Status::Unavailable("killed mid-round"); };
  auto round = store_->analytics().roll_up(killed);
  EXPECT_EQ(round.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(sql("SELECT count(*) FROM rollup_cells"), "0");
  EXPECT_EQ(sql("SELECT epoch FROM analytics_rollup"), "0");
  auto backlog = store_->analytics().backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(backlog->executions, 800u);
  check_random_filters(46, 8);
  drain();
  EXPECT_EQ(sql("SELECT sum(executions) FROM rollup_cells WHERE scope = 3"),
            std::to_string(800 * analytics::kLevels));
  EXPECT_NE(sql("SELECT epoch FROM analytics_rollup"), "0");
  check_random_filters(47, 8);
}

// Under load: one thread writes groups, another runs bounded rollup rounds, and meanwhile
// random unaligned filters are answered, each compared with a scan of the executions taken in
// the answer's own snapshot: exact at every moment, whatever is pending or being folded.
TEST_P(AnalyticsStoreTest, AnswersEqualAScanOfTheirSnapshotWhileIngestAndRollupRun) {
  constexpr size_t kCap = 64 << 10;
  write_groups(*store_, testing::analytics_workload(1500, 53, kT0, kSpan));
  drain();
  const auto more = testing::analytics_workload(3000, 54, kT0, kSpan);
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    write_in_groups(*store_, more, {1, 5, 20, 3});
    writing = false;
  });
  // Answers that keep their copy of the cells across snapshots and rounds: one told of the
  // rounds (it keeps the buckets a round did not change), one not told (it starts its copy
  // over at every round, as a replica that does not lead), one told and with its copy capped
  // far below the cell set (it evicts all along).
  Analytics told(store_->analytics(), AnalyticsOptions{100});
  Analytics untold(store_->analytics(), AnalyticsOptions{.exact_limit = 100, .cell_cache_grace = {}});
  Analytics capped(store_->analytics(), AnalyticsOptions{.exact_limit = 100, .max_cell_cache_bytes = kCap});
  std::thread leader([&] {
    RollupOptions small;
    small.max_executions = 150;
    while (true) {
      const bool done_writing = !writing.load();
      auto r = store_->analytics().roll_up(small);
      ASSERT_TRUE(r.ok()) << r.status().message();
      if (r->journal_rows > 0) {
        told.round_committed(*r);
        capped.round_committed(*r);
      }
      if (done_writing && r->journal_rows == 0) return;
    }
  });
  std::mt19937_64 rng(55);
  int checked = 0;
  for (; writing.load() || checked < 40; ++checked) {
    const ExecutionFilter f = testing::random_filter(rng, kT0, kSpan);
    Analytics* with[] = {nullptr, &told, &untold, &capped};
    testing::check_filter_in_one_snapshot(store_->analytics(), f, checked % 4 == 0 ? 1'000'000 : 100,
                                          with[checked % 4]);
    if (HasFatalFailure()) break;
  }
  writer.join();
  leader.join();
  EXPECT_GE(checked, 40);
  check_random_filters(56, 10);
  for (int i = 0; i < 6; ++i) {  // after the last round: answers from the copies at rest
    const ExecutionFilter f = testing::random_filter(rng, kT0, kSpan);
    for (Analytics* a : {&told, &untold, &capped}) testing::check_filter_in_one_snapshot(store_->analytics(), f, 100, a);
  }
  const CellCacheStats t = told.cell_cache()->stats(), u = untold.cell_cache()->stats(),
                       c = capped.cell_cache()->stats();
  EXPECT_GT(t.hits, 0u);
  EXPECT_GT(u.hits, 0u);
  EXPECT_GT(c.evictions, 0u);
  EXPECT_LE(c.bytes, kCap);
  std::printf("cells copy: told %lu hits / %lu misses, untold %lu / %lu, capped %lu / %lu (%lu evictions)\n",
              static_cast<unsigned long>(t.hits), static_cast<unsigned long>(t.misses),
              static_cast<unsigned long>(u.hits), static_cast<unsigned long>(u.misses),
              static_cast<unsigned long>(c.hits), static_cast<unsigned long>(c.misses),
              static_cast<unsigned long>(c.evictions));
}

// A round reports the epoch its commit set (one past the one before, as a snapshot then reads
// it) and every bucket whose cells it changed.
TEST_P(AnalyticsStoreTest, ARoundReportsItsEpochAndTheBucketsItChanged) {
  auto epoch_now = [&] {
    int64_t e = -1;
    Status st = store_->analytics().read_analytics([&](AnalyticsSnapshot& snap) {
      auto r = snap.rollup_epoch();
      if (!r.ok()) return r.status();
      e = *r;
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.message();
    return e;
  };
  const int64_t before = epoch_now();
  ASSERT_GE(before, 0);
  const auto rows = testing::analytics_workload(400, 57, kT0, kSpan);
  write_groups(*store_, rows);
  EXPECT_EQ(epoch_now(), before);  // ingest changes no cell
  RollupOptions all;
  all.max_executions = 1'000'000;
  auto r = store_->analytics().roll_up(all);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->epoch, before + 1);
  EXPECT_EQ(epoch_now(), before + 1);
  std::set<std::pair<int, int64_t>> want, got;
  for (const Execution& e : rows) {
    for (int level = 0; level < analytics::kLevels; ++level) {
      want.emplace(level, analytics::floor_div(e.timestamp_us, analytics::level_width_us(level)));
    }
  }
  for (const auto& b : r->changed) got.emplace(b.level, b.bucket);
  EXPECT_EQ(got, want);
  auto none = store_->analytics().roll_up(all);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->epoch, 0);  // nothing pending: no round, no epoch
  EXPECT_EQ(epoch_now(), before + 1);
}

// Ids from a PostgreSQL sequence commit out of order: A draws lower ids and commits after B.
// A is counted once, when it commits, and at every step the answer equals a scan. B's group
// commits while A's transaction is open: ingest takes no lock that another writer holds to
// its commit (two replicas' writers never wait on each other).
TEST_P(AnalyticsStoreTest, OutOfOrderCommitsAreCountedOnceAndWritersNeverWaitOnEachOther) {
  if (GetParam() != "postgresql") {
    GTEST_SKIP() << "one writer at a time on SQLite (its write lock) and PGlite (one session): "
                    "no transaction can stay open beside another's commit";
  }
  auto other = open();
  ASSERT_NE(other, nullptr);
  auto wa = store_->executions().open_writer();
  auto wb = other->executions().open_writer();
  ASSERT_TRUE(wa.ok() && wb.ok());
  const auto rows_a = testing::analytics_workload(300, 48, kT0, kDayUs);
  const auto rows_b = testing::analytics_workload(300, 49, kT0, kDayUs);
  auto ptrs = [](const std::vector<Execution>& rows) {
    std::vector<const Execution*> out;
    for (const auto& e : rows) out.push_back(&e);
    return out;
  };
  std::vector<int64_t> ids_a, ids_b;
  ASSERT_TRUE((*wa)->begin().ok());
  ASSERT_TRUE((*wa)->insert(ptrs(rows_a), 1, ids_a).ok());
  ASSERT_TRUE((*wa)->journal(ids_a, 1).ok());
  // B, with higher ids, commits while A is open; on another thread, so that a B waiting on
  // A would show as a timeout here rather than a hung test.
  auto b_done = std::async(std::launch::async, [&] {
    if (Status st = (*wb)->begin(); !st.ok()) return st;
    if (Status st = (*wb)->insert(ptrs(rows_b), 1, ids_b); !st.ok()) return st;
    if (Status st = (*wb)->journal(ids_b, 1); !st.ok()) return st;
    return (*wb)->commit();
  });
  const bool b_finished = b_done.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  if (!b_finished) (*wa)->rollback();  // unblocks B, so the test ends
  ASSERT_TRUE(b_finished) << "B's commit waited for A's open transaction";
  Status b_status = b_done.get();
  ASSERT_TRUE(b_status.ok()) << b_status.message();
  ASSERT_LT(ids_a.back(), ids_b.front()) << "A drew the lower ids";
  drain();  // folds B only: A's journal row is not committed
  check_random_filters(50, 8);
  ASSERT_TRUE((*wa)->commit().ok());
  check_random_filters(51, 8);  // A pending, B in the cells
  drain();
  check_random_filters(52, 8);
  EXPECT_EQ(sql("SELECT sum(executions) FROM rollup_cells WHERE scope = 3"),
            std::to_string(600 * analytics::kLevels));
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsStoreTest, ::testing::Values("sqlite", "postgresql", "pglite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace agentlearn
