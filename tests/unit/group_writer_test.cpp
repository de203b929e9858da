// GroupWriter over a fake StoreWriter (an in-memory transactional table defined here):
// group commit really groups, duplicates and conflicts are resolved per request, failures
// reach every request of the group and leave nothing half-applied, a racing insert is
// retried once, the queue is bounded, and stop() flushes; the embedder's vectors ride in the
// next group's transaction and fail alone.
#include "store/group_writer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "../support/eventually.hpp"
#include "keyed_record.hpp"

namespace agentlearn {
namespace {

using namespace std::chrono_literals;

// What the fake store holds and counts; shared between the test and the writer's thread.
struct FakeState {
  std::mutex mu;
  std::condition_variable cv;

  // Committed rows: id -> (execution_id or "", content hash).
  std::map<int64_t, std::pair<std::string, std::string>> rows;
  std::map<std::string, int64_t> by_execution_id;
  int64_t next_id = 1;

  // The open transaction.
  bool in_tx = false;
  std::vector<std::pair<int64_t, std::string>> staged_copy;  // id, execution_id

  int begins = 0, finds = 0, inserts = 0, commits = 0, rollbacks = 0, embedding_saves = 0;
  // Rows named by journal rows in the open transaction, and in committed ones.
  size_t staged_journaled = 0, journaled = 0;
  // Committed embeddings (execution id -> version) and those of the open transaction.
  std::map<int64_t, std::string> embeddings;
  std::vector<std::pair<int64_t, std::string>> staged_embeddings;
  std::deque<Status> embedding_results;
  std::vector<std::string> violations;  // protocol misuse seen by the fake

  // Results to return instead of doing the work, one per call, in order.
  std::deque<Status> begin_results, find_results, insert_results, journal_results, commit_results;
  // Called inside insert() before anything else; may change the table (another replica).
  std::function<Status(FakeState&)> before_insert;

  // A gate in commit(): when armed, the next commit waits until released.
  bool block_next_commit = false;
  bool blocked = false;
  bool released = false;

  // Test helpers (call without holding mu).
  int64_t put(const std::string& execution_id, const std::string& hash) {
    std::lock_guard lock(mu);
    return put_locked(execution_id, hash);
  }
  int64_t put_locked(const std::string& execution_id, const std::string& hash) {
    int64_t id = next_id++;
    rows[id] = {execution_id, hash};
    if (!execution_id.empty()) by_execution_id[execution_id] = id;
    return id;
  }
  size_t row_count() {
    std::lock_guard lock(mu);
    return rows.size();
  }
  int commit_count() {
    std::lock_guard lock(mu);
    return commits;
  }
  void arm_commit_gate() {
    std::lock_guard lock(mu);
    block_next_commit = true;
    blocked = false;
    released = false;
  }
  bool wait_until_blocked() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s, [&] { return blocked; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      released = true;
    }
    cv.notify_all();
  }
};

class FakeWriter : public StoreWriter, public EmbeddingWriter {
 public:
  explicit FakeWriter(std::shared_ptr<FakeState> s) : s_(std::move(s)) {}

  Status begin() override {
    std::lock_guard lock(s_->mu);
    ++s_->begins;
    if (s_->in_tx) s_->violations.push_back("begin inside a transaction");
    if (Status st = pop(s_->begin_results); !st.ok()) return st;
    s_->in_tx = true;
    s_->staged_copy.clear();
    return Status::Ok();
  }

  Status commit() override {
    std::unique_lock lock(s_->mu);
    ++s_->commits;
    if (!s_->in_tx) s_->violations.push_back("commit outside a transaction");
    // The outcome is decided on entry, so a failure queued while this commit is held
    // belongs to the next commit.
    Status result = pop(s_->commit_results);
    if (s_->block_next_commit) {
      s_->block_next_commit = false;
      s_->blocked = true;
      s_->cv.notify_all();
      s_->cv.wait(lock, [&] { return s_->released; });
    }
    if (!result.ok()) return result;  // the transaction stays open until rollback()
    for (auto& [id, execution_id] : s_->staged_copy) {
      s_->rows[id] = {execution_id, staged_hash_[id]};
      if (!execution_id.empty()) s_->by_execution_id[execution_id] = id;
    }
    for (auto& [id, version] : s_->staged_embeddings) s_->embeddings[id] = version;
    s_->staged_embeddings.clear();
    s_->staged_copy.clear();
    s_->journaled += s_->staged_journaled;
    s_->staged_journaled = 0;
    staged_hash_.clear();
    s_->in_tx = false;
    return Status::Ok();
  }

  void rollback() override {
    std::lock_guard lock(s_->mu);
    ++s_->rollbacks;
    s_->staged_copy.clear();
    s_->staged_embeddings.clear();
    s_->staged_journaled = 0;
    staged_hash_.clear();
    s_->in_tx = false;
  }

  Status find_existing(std::span<const std::string> ids,
                       std::vector<std::optional<ExistingExecution>>& out) override {
    std::lock_guard lock(s_->mu);
    ++s_->finds;
    if (!s_->in_tx) s_->violations.push_back("find_existing outside a transaction");
    if (Status st = pop(s_->find_results); !st.ok()) return st;
    out.assign(ids.size(), std::nullopt);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = s_->by_execution_id.find(ids[i]);
      if (it != s_->by_execution_id.end()) out[i] = ExistingExecution{it->second, s_->rows[it->second].second};
    }
    return Status::Ok();
  }

  Status insert(std::span<const Execution* const> rows, int64_t received_us, std::vector<int64_t>& ids_out) override {
    std::lock_guard lock(s_->mu);
    ++s_->inserts;
    if (!s_->in_tx) s_->violations.push_back("insert outside a transaction");
    if (received_us <= 0) s_->violations.push_back("insert without a time of receipt");
    if (s_->before_insert) {
      if (Status st = s_->before_insert(*s_); !st.ok()) return st;
    }
    // Stage first, so an injected failure below leaves a half-written transaction behind
    // that only a rollback removes (as a real store would after a failing statement).
    ids_out.clear();
    std::set<std::string> in_this_tx;
    for (auto& [id, eid] : s_->staged_copy) in_this_tx.insert(eid);
    for (const Execution* e : rows) {
      const std::string eid = e->execution_id.value_or("");
      if (!eid.empty() && (s_->by_execution_id.count(eid) || !in_this_tx.insert(eid).second)) {
        return Status::Conflict("unique violation on execution_id " + eid);
      }
      int64_t id = s_->next_id++;
      s_->staged_copy.emplace_back(id, eid);
      staged_hash_[id] = e->content_hash;
      ids_out.push_back(id);
    }
    if (Status st = pop(s_->insert_results); !st.ok()) return st;
    return Status::Ok();
  }

  Status journal(std::span<const int64_t> ids, int64_t now_us) override {
    std::lock_guard lock(s_->mu);
    if (!s_->in_tx) s_->violations.push_back("journal outside a transaction");
    if (now_us <= 0) s_->violations.push_back("journal without a time");
    // Exactly the ids this transaction inserted, in order.
    std::vector<int64_t> staged;
    for (const auto& [id, eid] : s_->staged_copy) staged.push_back(id);
    if (!std::equal(ids.begin(), ids.end(), staged.begin(), staged.end()))
      s_->violations.push_back("journal of ids not inserted in this transaction");
    s_->staged_journaled += ids.size();  // staged first, as insert() does
    if (Status st = pop(s_->journal_results); !st.ok()) return st;
    return Status::Ok();
  }

  EmbeddingWriter* embeddings() override { return this; }
  Status save_embeddings(std::span<const EmbeddingRecord> rows) override {
    std::lock_guard lock(s_->mu);
    ++s_->embedding_saves;
    if (!s_->in_tx) s_->violations.push_back("save_embeddings outside a transaction");
    for (const EmbeddingRecord& r : rows) s_->staged_embeddings.emplace_back(r.id, r.version);
    return pop(s_->embedding_results);
  }

 private:
  static Status pop(std::deque<Status>& q) {
    if (q.empty()) return Status::Ok();
    Status st = q.front();
    q.pop_front();
    return st;
  }
  std::shared_ptr<FakeState> s_;
  std::map<int64_t, std::string> staged_hash_;
};

using testing::keyed_record;

std::vector<Execution> recs(std::initializer_list<std::pair<const char*, const char*>> items) {
  std::vector<Execution> out;
  for (auto& [id, hash] : items) out.push_back(keyed_record(id ? std::optional<std::string>(id) : std::nullopt, hash));
  return out;
}

class GroupWriterTest : public ::testing::Test {
 protected:
  void start(GroupWriterOptions options = {}) {
    writer_ = std::make_unique<GroupWriter>(std::make_unique<FakeWriter>(state_), options);
  }
  void TearDown() override {
    if (writer_) writer_->stop();
    std::lock_guard lock(state_->mu);
    EXPECT_TRUE(state_->violations.empty()) << state_->violations.front();
  }

  std::future<WriteOutcome> submit(std::vector<Execution> records) {
    auto promise = std::make_shared<std::promise<WriteOutcome>>();
    auto future = promise->get_future();
    Status st = writer_->submit(std::move(records), [promise](WriteOutcome o) { promise->set_value(std::move(o)); });
    EXPECT_TRUE(st.ok()) << st.message();
    if (!st.ok()) {
      WriteOutcome o;
      o.status = st;
      promise->set_value(std::move(o));
    }
    return future;
  }

  static WriteOutcome get(std::future<WriteOutcome>& f) {
    if (f.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "no answer within 10 s";
      WriteOutcome o;
      o.status = Status::Internal("timeout");
      return o;
    }
    return f.get();
  }

  WriteOutcome write(std::vector<Execution> records) {
    auto f = submit(std::move(records));
    return get(f);
  }

  // Holds the writer in a commit of an unrelated record, so that what is submitted next
  // queues up and is written as one group after release().
  void hold_writer() {
    state_->arm_commit_gate();
    held_ = submit(recs({{nullptr, "holder"}}));
    ASSERT_TRUE(state_->wait_until_blocked());
  }
  void release_writer() {
    state_->release();
    WriteOutcome o = get(held_);
    EXPECT_TRUE(o.status.ok()) << o.status.message();
  }

  std::shared_ptr<FakeState> state_ = std::make_shared<FakeState>();
  std::unique_ptr<GroupWriter> writer_;
  std::future<WriteOutcome> held_;
};

TEST_F(GroupWriterTest, StoresOneRequest) {
  start();
  WriteOutcome o = write(recs({{"a", "ha"}, {nullptr, "h2"}, {"b", "hb"}}));
  ASSERT_TRUE(o.status.ok()) << o.status.message();
  EXPECT_TRUE(o.conflicts.empty());
  ASSERT_EQ(o.results.size(), 3u);
  std::set<int64_t> ids;
  for (auto& r : o.results) {
    EXPECT_FALSE(r.duplicate);
    EXPECT_GT(r.id, 0);
    ids.insert(r.id);
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(state_->row_count(), 3u);
  EXPECT_EQ(state_->by_execution_id["a"], o.results[0].id);
  EXPECT_EQ(state_->by_execution_id["b"], o.results[2].id);
  EXPECT_EQ(state_->commit_count(), 1);
  GroupWriterStats stats = writer_->stats();
  EXPECT_EQ(stats.groups, 1u);
  EXPECT_EQ(stats.records, 3u);
  EXPECT_EQ(stats.failures, 0u);
}

TEST_F(GroupWriterTest, GroupCommitGroupsConcurrentRequests) {
  start();
  hold_writer();
  constexpr int kThreads = 8, kPerThread = 25;
  std::vector<std::future<WriteOutcome>> futures(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        futures[t * kPerThread + i] = submit(recs({{id.c_str(), "h"}}));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(state_->commit_count(), 1) << "only the held commit so far";
  release_writer();
  std::set<int64_t> ids;
  for (auto& f : futures) {
    WriteOutcome o = get(f);
    ASSERT_TRUE(o.status.ok()) << o.status.message();
    ASSERT_EQ(o.results.size(), 1u);
    EXPECT_FALSE(o.results[0].duplicate);
    ids.insert(o.results[0].id);
  }
  EXPECT_EQ(ids.size(), futures.size());
  EXPECT_EQ(state_->row_count(), futures.size() + 1);
  // 200 requests queued behind the held commit went out in one more commit.
  EXPECT_EQ(state_->commit_count(), 2);
  EXPECT_LT(state_->commit_count(), static_cast<int>(futures.size()));
  EXPECT_EQ(writer_->stats().groups, 2u);
  EXPECT_EQ(writer_->stats().records, futures.size() + 1);
}

TEST_F(GroupWriterTest, GroupsStopGrowingAtMaxGroupRecordsButNeverSplitARequest) {
  start({.max_group_records = 4, .max_queued_records = 1000});
  hold_writer();
  std::vector<std::future<WriteOutcome>> futures;
  for (int i = 0; i < 5; ++i) {
    std::string a = "r" + std::to_string(i) + "a", b = "r" + std::to_string(i) + "b";
    futures.push_back(submit(recs({{a.c_str(), "h"}, {b.c_str(), "h"}})));
  }
  std::vector<Execution> big;
  for (int i = 0; i < 6; ++i) big.push_back(keyed_record("big" + std::to_string(i), "h"));
  futures.push_back(submit(std::move(big)));
  release_writer();
  for (auto& f : futures) EXPECT_TRUE(get(f).status.ok());
  // After the held one: [2,2], [2,2], [2], [6].
  EXPECT_EQ(state_->commit_count(), 1 + 4);
  EXPECT_EQ(state_->row_count(), 1u + 10 + 6);
}

TEST_F(GroupWriterTest, RecordsWithoutExecutionIdAreAlwaysNew) {
  start();
  WriteOutcome a = write(recs({{nullptr, "same"}, {nullptr, "same"}}));
  WriteOutcome b = write(recs({{nullptr, "same"}}));
  ASSERT_TRUE(a.status.ok() && b.status.ok());
  EXPECT_NE(a.results[0].id, a.results[1].id);
  EXPECT_FALSE(a.results[1].duplicate);
  EXPECT_FALSE(b.results[0].duplicate);
  EXPECT_EQ(state_->row_count(), 3u);
}

TEST_F(GroupWriterTest, DuplicateOfAStoredIdAnswersTheStoredId) {
  const int64_t stored = state_->put("x", "hx");
  start();
  WriteOutcome o = write(recs({{"x", "hx"}}));
  ASSERT_TRUE(o.status.ok()) << o.status.message();
  ASSERT_EQ(o.results.size(), 1u);
  EXPECT_EQ(o.results[0].id, stored);
  EXPECT_TRUE(o.results[0].duplicate);
  EXPECT_EQ(state_->row_count(), 1u);
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->inserts, 0) << "nothing to insert";
}

TEST_F(GroupWriterTest, MixOfStoredDuplicatesAndNewRecords) {
  const int64_t stored = state_->put("x", "hx");
  start();
  WriteOutcome o = write(recs({{"new1", "h1"}, {"x", "hx"}, {nullptr, "h3"}}));
  ASSERT_TRUE(o.status.ok());
  ASSERT_EQ(o.results.size(), 3u);
  EXPECT_FALSE(o.results[0].duplicate);
  EXPECT_TRUE(o.results[1].duplicate);
  EXPECT_EQ(o.results[1].id, stored);
  EXPECT_FALSE(o.results[2].duplicate);
  EXPECT_EQ(state_->row_count(), 3u);
}

TEST_F(GroupWriterTest, ConflictFailsOnlyThatRequestOfTheGroup) {
  state_->put("x", "hx");
  start();
  hold_writer();
  auto bad = submit(recs({{"y", "hy"}, {"x", "DIFFERENT"}, {nullptr, "h"}, {"x", "ALSO-DIFFERENT"}}));
  auto good = submit(recs({{"z", "hz"}}));
  auto good_dup = submit(recs({{"x", "hx"}}));
  release_writer();

  WriteOutcome b = get(bad);
  EXPECT_EQ(b.status.code(), StatusCode::kConflict);
  EXPECT_EQ(b.status.field(), "execution_id");
  EXPECT_TRUE(b.results.empty());
  ASSERT_EQ(b.conflicts.size(), 2u);
  EXPECT_EQ(b.conflicts[0].index, 1u);
  EXPECT_EQ(b.conflicts[0].field, "execution_id");
  EXPECT_NE(b.conflicts[0].message.find("'x'"), std::string::npos) << b.conflicts[0].message;
  EXPECT_EQ(b.conflicts[1].index, 3u);

  WriteOutcome g = get(good);
  ASSERT_TRUE(g.status.ok()) << g.status.message();
  WriteOutcome d = get(good_dup);
  ASSERT_TRUE(d.status.ok());
  EXPECT_TRUE(d.results[0].duplicate);

  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->by_execution_id.count("y"), 0u) << "the conflicting request stores nothing";
  EXPECT_EQ(state_->by_execution_id.count("z"), 1u);
  EXPECT_EQ(state_->rows.size(), 3u);  // x, the holder, z
  EXPECT_EQ(state_->commits, 2) << "the three requests were one group";
}

TEST_F(GroupWriterTest, DuplicatesWithinOneRequest) {
  start();
  WriteOutcome o = write(recs({{"x", "h"}, {"y", "hy"}, {"x", "h"}}));
  ASSERT_TRUE(o.status.ok()) << o.status.message();
  ASSERT_EQ(o.results.size(), 3u);
  EXPECT_FALSE(o.results[0].duplicate);
  EXPECT_TRUE(o.results[2].duplicate);
  EXPECT_EQ(o.results[2].id, o.results[0].id);
  EXPECT_EQ(state_->row_count(), 2u);
}

TEST_F(GroupWriterTest, ConflictWithinOneRequest) {
  start();
  WriteOutcome o = write(recs({{"x", "h1"}, {"y", "hy"}, {"x", "h2"}}));
  EXPECT_EQ(o.status.code(), StatusCode::kConflict);
  ASSERT_EQ(o.conflicts.size(), 1u);
  EXPECT_EQ(o.conflicts[0].index, 2u);
  EXPECT_EQ(state_->row_count(), 0u);
}

TEST_F(GroupWriterTest, DuplicatesAndConflictsAcrossRequestsInOneGroup) {
  start();
  hold_writer();
  auto first = submit(recs({{"x", "h"}}));
  auto same = submit(recs({{"x", "h"}}));
  auto other = submit(recs({{"x", "other"}}));
  // A request that conflicts also adds "w"; its addition must not leak to later requests.
  auto conflicted = submit(recs({{"w", "hw"}, {"x", "other"}}));
  auto later_w = submit(recs({{"w", "hw"}}));
  release_writer();

  WriteOutcome a = get(first), b = get(same), c = get(other), d = get(conflicted), e = get(later_w);
  ASSERT_TRUE(a.status.ok());
  EXPECT_FALSE(a.results[0].duplicate);
  ASSERT_TRUE(b.status.ok());
  EXPECT_TRUE(b.results[0].duplicate);
  EXPECT_EQ(b.results[0].id, a.results[0].id);
  EXPECT_EQ(c.status.code(), StatusCode::kConflict);
  ASSERT_EQ(c.conflicts.size(), 1u);
  EXPECT_EQ(d.status.code(), StatusCode::kConflict);
  ASSERT_TRUE(e.status.ok()) << e.status.message();
  EXPECT_FALSE(e.results[0].duplicate) << "w was not stored by the conflicting request";

  std::lock_guard lock(state_->mu);
  ASSERT_EQ(state_->by_execution_id.count("w"), 1u);
  EXPECT_EQ(state_->by_execution_id["w"], e.results[0].id);
  EXPECT_EQ(state_->rows.size(), 3u);  // holder, x, w
  EXPECT_EQ(state_->commits, 2);
}

// --- failures -----------------------------------------------------------------------------

struct FailureCase {
  const char* name;
  std::deque<Status> FakeState::*queue;
  StatusCode code;
};

class GroupWriterFailure : public GroupWriterTest, public ::testing::WithParamInterface<FailureCase> {};

TEST_P(GroupWriterFailure, EveryRequestOfTheGroupGetsTheStatusAndNothingIsApplied) {
  const FailureCase& fc = GetParam();
  state_->put("stored", "hs");
  start();
  hold_writer();
  std::vector<std::future<WriteOutcome>> group;
  group.push_back(submit(recs({{"a", "ha"}, {"b", "hb"}})));
  group.push_back(submit(recs({{"stored", "hs"}, {nullptr, "hn"}})));
  group.push_back(submit(recs({{"c", "hc"}})));
  {
    std::lock_guard lock(state_->mu);
    (state_.get()->*fc.queue).push_back(Status(fc.code, std::string("injected ") + fc.name));
  }
  const size_t rows_before = state_->row_count() + 1;  // + the held record, committed on release
  release_writer();
  for (auto& f : group) {
    WriteOutcome o = get(f);
    EXPECT_EQ(o.status.code(), fc.code) << o.status.message();
    EXPECT_EQ(o.status.message(), std::string("injected ") + fc.name);
    EXPECT_TRUE(o.results.empty());
    EXPECT_TRUE(o.conflicts.empty());
  }
  EXPECT_EQ(state_->row_count(), rows_before) << "nothing of the failed group was applied";
  {
    std::lock_guard lock(state_->mu);
    EXPECT_FALSE(state_->in_tx) << "the failed transaction was rolled back";
    EXPECT_EQ(state_->by_execution_id.count("a"), 0u);
    EXPECT_EQ(state_->by_execution_id.count("c"), 0u);
    EXPECT_EQ(state_->journaled, 1u) << "only the held record was journaled";
  }
  GroupWriterStats stats = writer_->stats();
  EXPECT_EQ(stats.failures, 1u);
  EXPECT_EQ(stats.groups, 2u);

  // The same requests succeed when retried, as new records (not as duplicates).
  WriteOutcome retry = write(recs({{"a", "ha"}, {"b", "hb"}}));
  ASSERT_TRUE(retry.status.ok()) << retry.status.message();
  EXPECT_FALSE(retry.results[0].duplicate);
  EXPECT_FALSE(retry.results[1].duplicate);
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->journaled, 3u) << "every stored row is journaled, once";
  EXPECT_TRUE(state_->violations.empty());
}

INSTANTIATE_TEST_SUITE_P(
    GroupWriter, GroupWriterFailure,
    ::testing::Values(FailureCase{"begin", &FakeState::begin_results, StatusCode::kUnavailable},
                      FailureCase{"find", &FakeState::find_results, StatusCode::kUnavailable},
                      FailureCase{"insert", &FakeState::insert_results, StatusCode::kUnavailable},
                      FailureCase{"insert_internal", &FakeState::insert_results, StatusCode::kInternal},
                      FailureCase{"journal", &FakeState::journal_results, StatusCode::kUnavailable},
                      FailureCase{"commit", &FakeState::commit_results, StatusCode::kUnavailable}),
    [](const ::testing::TestParamInfo<FailureCase>& info) { return std::string(info.param.name); });

TEST_F(GroupWriterTest, FailedInsertIsRolledBack) {
  start();
  {
    std::lock_guard lock(state_->mu);
    state_->insert_results.push_back(Status::Unavailable("disk full"));
  }
  WriteOutcome o = write(recs({{"a", "ha"}}));
  EXPECT_EQ(o.status.code(), StatusCode::kUnavailable);
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->rollbacks, 1);
  EXPECT_EQ(state_->commits, 0);
  EXPECT_TRUE(state_->rows.empty());
}

TEST_F(GroupWriterTest, ConflictFromInsertIsRetriedOnce) {
  // Another replica stores "x" between our lookup and our insert.
  int64_t raced_id = 0;
  state_->before_insert = [&raced_id](FakeState& s) {
    if (s.inserts == 1) raced_id = s.put_locked("x", "hx");
    return Status::Ok();
  };
  start();
  WriteOutcome o = write(recs({{"x", "hx"}, {"y", "hy"}}));
  ASSERT_TRUE(o.status.ok()) << o.status.message();
  ASSERT_EQ(o.results.size(), 2u);
  EXPECT_TRUE(o.results[0].duplicate) << "the retry's lookup sees the other replica's row";
  EXPECT_EQ(o.results[0].id, raced_id);
  EXPECT_FALSE(o.results[1].duplicate);
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->begins, 2);
  EXPECT_EQ(state_->rollbacks, 1);
  EXPECT_EQ(state_->commits, 1);
  EXPECT_EQ(state_->rows.size(), 2u);
}

TEST_F(GroupWriterTest, ASecondConflictFromInsertGivesUp) {
  state_->before_insert = [](FakeState&) { return Status::Conflict("unique violation"); };
  start();
  WriteOutcome o = write(recs({{"x", "hx"}}));
  EXPECT_EQ(o.status.code(), StatusCode::kUnavailable) << "a retryable status, not a client conflict";
  EXPECT_TRUE(o.conflicts.empty());
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->inserts, 2) << "retried exactly once";
  EXPECT_EQ(state_->rollbacks, 2);
  EXPECT_TRUE(state_->rows.empty());
}

// --- lingering for the clients a commit frees -------------------------------------------------

TEST_F(GroupWriterTest, RequestsFreedByACommitJoinTheNextGroup) {
  // A linger far longer than the test may take: the writer must stop waiting as soon as the
  // records it waits for are queued, or get() below gives up.
  start({.linger_fraction = 1e9, .max_linger = std::chrono::minutes(10)});
  hold_writer();
  auto queued = submit(recs({{"queued", "h"}}));  // arrives during the held commit
  release_writer();  // the holder's client has its answer...
  // ...and comes back: its record joins the one that queued meanwhile.
  auto returning = submit(recs({{"returning", "h"}}));
  EXPECT_TRUE(get(queued).status.ok());
  EXPECT_TRUE(get(returning).status.ok());
  EXPECT_EQ(state_->commit_count(), 2) << "the held commit, then one group of both";
  EXPECT_EQ(state_->row_count(), 3u);
}

TEST_F(GroupWriterTest, WithoutLingerTheNextGroupGoesAtOnce) {
  start({.linger_fraction = 0});
  hold_writer();
  auto queued = submit(recs({{"queued", "h"}}));
  release_writer();
  EXPECT_TRUE(get(queued).status.ok());
  auto later = submit(recs({{"later", "h"}}));
  EXPECT_TRUE(get(later).status.ok());
  EXPECT_EQ(state_->commit_count(), 3);
}

TEST_F(GroupWriterTest, OneClientAtATimeNeverWaits) {
  // Sequential requests: each commit frees one client, whose next record is all the writer
  // waits for. Ten of them under a ten-minute linger finish within get()'s limits.
  start({.linger_fraction = 1e9, .max_linger = std::chrono::minutes(10)});
  for (int i = 0; i < 10; ++i) {
    WriteOutcome o = write(recs({{("seq" + std::to_string(i)).c_str(), "h"}}));
    ASSERT_TRUE(o.status.ok()) << o.status.message();
  }
  EXPECT_EQ(state_->commit_count(), 10);
}

TEST_F(GroupWriterTest, StopEndsALinger) {
  start({.linger_fraction = 1e9, .max_linger = std::chrono::minutes(10)});
  hold_writer();
  auto queued = submit(recs({{"queued", "h"}}));
  release_writer();
  // The writer now waits for a second record that never comes; stop() writes what is queued.
  writer_->stop();
  ASSERT_EQ(queued.wait_for(0s), std::future_status::ready);
  EXPECT_TRUE(queued.get().status.ok());
}

// --- the queue and shutdown -----------------------------------------------------------------

TEST_F(GroupWriterTest, FullQueueRefusesWithUnavailable) {
  start({.max_group_records = 20000, .max_queued_records = 5});
  hold_writer();  // the held record has left the queue
  auto a = submit(recs({{"a1", "h"}, {"a2", "h"}, {"a3", "h"}}));
  auto b = submit(recs({{"b1", "h"}, {"b2", "h"}}));  // exactly at the limit
  bool called = false;
  Status st = writer_->submit(recs({{"c1", "h"}}), [&called](WriteOutcome) { called = true; });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  release_writer();
  EXPECT_TRUE(get(a).status.ok());
  EXPECT_TRUE(get(b).status.ok());
  EXPECT_FALSE(called) << "a refused submission's callback is never run";
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->by_execution_id.count("c1"), 0u);
}

TEST_F(GroupWriterTest, OneRequestLargerThanTheQueueIsAcceptedWhenTheQueueIsEmpty) {
  start({.max_group_records = 20000, .max_queued_records = 5});
  std::vector<Execution> big;
  for (int i = 0; i < 8; ++i) big.push_back(keyed_record("big" + std::to_string(i), "h"));
  WriteOutcome o = write(std::move(big));
  EXPECT_TRUE(o.status.ok()) << o.status.message();
  EXPECT_EQ(state_->row_count(), 8u);
}

TEST_F(GroupWriterTest, StopFlushesQueuedWork) {
  start();
  hold_writer();
  std::vector<std::future<WriteOutcome>> queued;
  for (int i = 0; i < 10; ++i) queued.push_back(submit(recs({{("q" + std::to_string(i)).c_str(), "h"}})));
  std::thread stopper([this] { writer_->stop(); });
  // stop() must wait for the held commit and the queued requests.
  std::this_thread::sleep_for(20ms);
  release_writer();
  stopper.join();
  for (auto& f : queued) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready) << "answered before stop() returned";
    EXPECT_TRUE(f.get().status.ok());
  }
  EXPECT_EQ(state_->row_count(), 11u);

  bool called = false;
  Status st = writer_->submit(recs({{"late", "h"}}), [&called](WriteOutcome) { called = true; });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_FALSE(called);
  writer_->stop();  // idempotent
}

TEST_F(GroupWriterTest, DestructorFlushes) {
  start();
  std::atomic<int> answered{0};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(writer_->submit(recs({{nullptr, "h"}}), [&answered](WriteOutcome o) {
                  EXPECT_TRUE(o.status.ok());
                  ++answered;
                }).ok());
  }
  writer_.reset();
  EXPECT_EQ(answered.load(), 50);
  EXPECT_EQ(state_->row_count(), 50u);
}

// --- the embedder's vectors ------------------------------------------------------------------

std::vector<EmbeddingRecord> vectors(std::initializer_list<int64_t> ids) {
  std::vector<EmbeddingRecord> out;
  for (int64_t id : ids) {
    EmbeddingRecord& r = out.emplace_back();
    r.id = id;
    r.task_id = "task";
    r.version = "v1";
    r.vector = {1, 0};
  }
  return out;
}

class GroupWriterEmbeddingsTest : public GroupWriterTest {
 protected:
  // save_embeddings on a thread of its own (it blocks until committed), returned once the
  // writer holds it for its next transaction.
  std::future<Status> save_queued(std::vector<EmbeddingRecord> rows) {
    auto f = std::async(std::launch::async, [this, rows = std::move(rows)] { return writer_->save_embeddings(rows); });
    EXPECT_TRUE(testing::eventually([&] { return writer_->stats().embedding_batches_waiting == 1; }));
    return f;
  }
  static Status get_status(std::future<Status>& f) {
    if (f.wait_for(10s) != std::future_status::ready) return Status::Internal("no answer within 10 s");
    return f.get();
  }
};

TEST_F(GroupWriterEmbeddingsTest, VectorsRideInTheNextGroupsTransaction) {
  start();
  int64_t stored = state_->put("old", "h");
  hold_writer();
  auto group = submit(recs({{"a", "ha"}, {"b", "hb"}}));
  auto saved = save_queued(vectors({stored}));
  release_writer();
  WriteOutcome o = get(group);
  ASSERT_TRUE(o.status.ok()) << o.status.message();
  Status st = get_status(saved);
  EXPECT_TRUE(st.ok()) << st.message();
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->commits, 2) << "the held commit, then one for the records and the vectors";
  EXPECT_EQ(state_->rows.size(), 4u);
  ASSERT_EQ(state_->embeddings.size(), 1u);
  EXPECT_EQ(state_->embeddings.at(stored), "v1");
  EXPECT_EQ(writer_->stats().groups, 2u);
}

TEST_F(GroupWriterEmbeddingsTest, VectorsAloneHaveATransactionOfTheirOwn) {
  start();
  int64_t a = state_->put("a", "h"), b = state_->put("b", "h");
  Status st = writer_->save_embeddings(vectors({a, b}));
  ASSERT_TRUE(st.ok()) << st.message();
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->commits, 1);
  EXPECT_EQ(state_->embeddings.size(), 2u);
  EXPECT_EQ(writer_->stats().groups, 0u) << "no group of executions was written";
  EXPECT_EQ(writer_->stats().failures, 0u);
}

TEST_F(GroupWriterEmbeddingsTest, FailingVectorsFailAloneAndTheRecordsAreStored) {
  start();
  int64_t stored = state_->put("old", "h");
  hold_writer();
  auto group = submit(recs({{"a", "ha"}}));
  auto saved = save_queued(vectors({stored}));
  {
    std::lock_guard lock(state_->mu);
    state_->embedding_results.push_back(Status::Internal("injected vector failure"));
  }
  release_writer();
  WriteOutcome o = get(group);
  ASSERT_TRUE(o.status.ok()) << o.status.message();
  Status st = get_status(saved);
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_EQ(st.message(), "injected vector failure");
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->by_execution_id.count("a"), 1u) << "the record was stored without the vectors";
  EXPECT_TRUE(state_->embeddings.empty()) << "nothing of the failed vectors was applied";
  EXPECT_EQ(state_->rollbacks, 1);
  EXPECT_EQ(writer_->stats().failures, 0u);
}

TEST_F(GroupWriterEmbeddingsTest, AFailedGroupFailsItsVectorsToo) {
  start();
  int64_t stored = state_->put("old", "h");
  hold_writer();
  auto group = submit(recs({{"a", "ha"}}));
  auto saved = save_queued(vectors({stored}));
  {
    std::lock_guard lock(state_->mu);
    state_->commit_results.push_back(Status::Unavailable("injected commit failure"));
  }
  release_writer();
  EXPECT_EQ(get(group).status.code(), StatusCode::kUnavailable);
  Status st = get_status(saved);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->by_execution_id.count("a"), 0u);
  EXPECT_TRUE(state_->embeddings.empty());
}

TEST_F(GroupWriterEmbeddingsTest, StopWritesQueuedVectorsAndLaterOnesAreRefused) {
  start();
  int64_t stored = state_->put("old", "h");
  hold_writer();
  auto saved = save_queued(vectors({stored}));
  std::thread stopper([this] { writer_->stop(); });
  release_writer();
  stopper.join();
  {
    // Written before stop() returned. (The caller's std::async thread may wake a moment
    // later, so the future itself is waited on, not polled once.)
    std::lock_guard lock(state_->mu);
    EXPECT_EQ(state_->embeddings.size(), 1u);
  }
  EXPECT_TRUE(get_status(saved).ok());
  EXPECT_EQ(writer_->save_embeddings(vectors({stored})).code(), StatusCode::kUnavailable);
  std::lock_guard lock(state_->mu);
  EXPECT_EQ(state_->embeddings.size(), 1u);
}

}  // namespace
}  // namespace agentlearn
