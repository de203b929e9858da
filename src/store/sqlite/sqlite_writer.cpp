// The group writer's connection: one transaction per group, the idempotency lookup, the
// insert and its analytics journal row (and the embedder's vectors), on statements prepared
// once; WAL checkpoints on a connection and a thread of their own.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "store/embedding_writer.hpp"
#include "store/row_codec.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace agentlearn {

using namespace sqlite_impl;

namespace {

// The codec's columns (store/row_codec.hpp), then received_us.
std::string insert_sql() {
  std::string sql = "INSERT INTO executions (" + store_codec::insert_column_list() + ") VALUES (";
  for (int i = 1; i <= store_codec::kExecutionColumnCount + 1; ++i) sql += (i > 1 ? ", ?" : "?") + std::to_string(i);
  return sql + ")";
}

// A sink of store_codec::encode_execution(): binds each value to the next parameter.
struct Binder {
  sqlite3_stmt* s;
  int i = 0;
  void text(std::string_view v) { bind_text(s, ++i, v); }
  void opt_text(const std::optional<std::string>& v) { bind_opt_text(s, ++i, v); }
  void dbl(double v) { sqlite3_bind_double(s, ++i, v); }
  void opt_dbl(const std::optional<double>& v) { bind_opt_double(s, ++i, v); }
  void int64(int64_t v) { sqlite3_bind_int64(s, ++i, v); }
  void boolean(bool v) { sqlite3_bind_int(s, ++i, v ? 1 : 0); }
  void opt_boolean(const std::optional<bool>& v) {
    if (v) {
      boolean(*v);
    } else {
      sqlite3_bind_null(s, ++i);
    }
  }
};

// A commit in WAL mode appends to the WAL and fsyncs it; copying the WAL back into the
// database file (a checkpoint, which fsyncs the database file) is separate work. SQLite's
// automatic checkpoint runs it inside the COMMIT that crosses 1,000 WAL pages, on the
// committing thread: every few thousand records one group waited for a whole checkpoint.
// Here the writer connection's commit only wakes this thread, which checkpoints on its own
// connection (PASSIVE: it never blocks the writer nor readers). Durability is untouched: a
// commit is durable once the WAL is fsynced, and a checkpoint fsyncs the database file
// before the WAL is reused.
class Checkpointer {
 public:
  // Pages in the WAL past which a checkpoint is started (SQLite's own default), and past
  // which the writer checkpoints inline: a busy writer can keep this thread from ever
  // catching up with the WAL's end, and only a checkpoint with no commit after it lets the
  // next transaction restart the WAL from its beginning.
  static constexpr int kStartPages = 1000;
  static constexpr int kInlinePages = 8000;

  explicit Checkpointer(DbPtr db) : db_(std::move(db)) { thread_ = std::thread([this] { run(); }); }
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // sqlite3_wal_hook: runs on the writer's thread after each commit.
  // `wal_pages` counts every frame in the WAL, copied back or not: a WAL that a busy writer
  // keeps from restarting stays past the threshold, and waking on that alone would start a
  // checkpoint (two more fsyncs: the WAL's and the database's) after every commit. What
  // counts is what the last checkpoint left behind.
  static int on_commit(void* self, sqlite3* db, const char* name, int wal_pages) {
    auto* c = static_cast<Checkpointer*>(self);
    int backfilled = c->backfilled_.load(std::memory_order_relaxed);
    if (wal_pages < backfilled) backfilled = 0;  // the WAL restarted from its beginning since
    if (wal_pages >= kInlinePages) {
      int log = 0, done = 0;
      if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &log, &done) == SQLITE_OK) {
        c->backfilled_.store(done, std::memory_order_relaxed);
      }
      return SQLITE_OK;
    }
    if (wal_pages - backfilled >= kStartPages) c->wake();
    return SQLITE_OK;
  }

  uint64_t runs() const {
    std::lock_guard lock(mu_);
    return runs_;
  }

 private:
  void wake() {
    {
      std::lock_guard lock(mu_);
      if (wanted_) return;
      wanted_ = true;
    }
    cv_.notify_one();
  }
  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stopping_ || wanted_; });
      if (stopping_) return;
      wanted_ = false;
      lock.unlock();
      int log = 0, done = 0;
      int rc = sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      if (rc == SQLITE_OK) backfilled_.store(done, std::memory_order_relaxed);
      // BUSY: another checkpoint is under way (the writer's inline one); the next commit
      // wakes this thread again.
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        spdlog::warn("sqlite checkpoint: {}", sqlite_status(db_.get(), rc, "checkpoint").message());
      }
      lock.lock();
      ++runs_;
    }
  }

  DbPtr db_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::atomic<int> backfilled_{0};  // WAL frames the last checkpoint copied back
  uint64_t runs_ = 0;
  std::thread thread_;
};

class SqliteWriter final : public StoreWriter, public EmbeddingWriter {
 public:
  static StatusOr<std::unique_ptr<StoreWriter>> create(const std::string& name, bool uri,
                                                       const SqliteOptions& options) {
    auto db = open_connection(name, uri, options);
    if (!db.ok()) return db.status();
    auto w = std::unique_ptr<SqliteWriter>(new SqliteWriter(std::move(db).value()));
    sqlite3* raw = w->db_.get();
    // IMMEDIATE takes the write lock at BEGIN: a deferred transaction that reads first and
    // writes later can fail with SQLITE_BUSY_SNAPSHOT instead of waiting.
    const std::string insert = insert_sql();
    struct {
      StmtPtr* slot;
      const char* sql;
    } stmts[] = {
        {&w->begin_, "BEGIN IMMEDIATE"},
        {&w->commit_, "COMMIT"},
        {&w->rollback_, "ROLLBACK"},
        {&w->find_, "SELECT id, content_hash FROM executions WHERE execution_id = ?1"},
        {&w->insert_, insert.c_str()},
        {&w->journal_, "INSERT INTO analytics_journal (first_id, last_id, created_us) VALUES (?1, ?2, ?3)"},
        {&w->save_embedding_, kSaveEmbeddingSql},
    };
    for (auto& s : stmts) {
      auto p = prepare(raw, s.sql);
      if (!p.ok()) {
        return Status(p.status().code(),
                      p.status().message() + " (has migrate() run on this database?)");
      }
      *s.slot = std::move(p).value();
    }
    if (!uri) {  // a file in WAL mode (an in-memory database has no WAL)
      auto cdb = open_connection(name, uri, options);
      if (!cdb.ok()) return cdb.status();
      w->checkpointer_ = std::make_unique<Checkpointer>(std::move(cdb).value());
      // Replaces SQLite's automatic checkpoint on this connection.
      sqlite3_wal_hook(raw, &Checkpointer::on_commit, w->checkpointer_.get());
    }
    return std::unique_ptr<StoreWriter>(std::move(w));
  }

  ~SqliteWriter() override {
    rollback();
    sqlite3_wal_hook(db_.get(), nullptr, nullptr);
    checkpointer_.reset();
    // Statements must go before the connection (sqlite3_close_v2 would defer, but be tidy).
    begin_.reset();
    commit_.reset();
    rollback_.reset();
    find_.reset();
    insert_.reset();
    journal_.reset();
    save_embedding_.reset();
  }

  Status begin() override {
    // A transaction left open by a failed group is abandoned: nothing in it was acknowledged.
    rollback();
    return step_done(begin_.get(), "begin");
  }

  Status commit() override {
    Status st = step_done(commit_.get(), "commit");
    // A failed COMMIT (e.g. SQLITE_BUSY) can leave the transaction open; the caller's
    // rollback() closes it, and so does the next begin() check.
    return st;
  }

  void rollback() override {
    if (sqlite3_get_autocommit(db_.get()) != 0) return;  // nothing open (or auto-rolled back)
    StmtScope scope(rollback_.get());
    sqlite3_step(rollback_.get());
  }

  Status find_existing(std::span<const std::string> ids,
                       std::vector<std::optional<ExistingExecution>>& out) override {
    out.assign(ids.size(), std::nullopt);
    sqlite3_stmt* s = find_.get();
    for (size_t i = 0; i < ids.size(); ++i) {
      StmtScope scope(s);
      bind_text(s, 1, ids[i]);
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        out[i] = store_codec::decode_existing(SqliteRow{s});
      } else if (rc != SQLITE_DONE) {
        return sqlite_status(db_.get(), rc, "find existing executions");
      }
    }
    return Status::Ok();
  }

  Status insert(std::span<const Execution* const> rows, int64_t received_us,
                std::vector<int64_t>& ids_out) override {
    ids_out.clear();
    ids_out.reserve(rows.size());
    sqlite3_stmt* s = insert_.get();
    for (const Execution* e : rows) {
      StmtScope scope(s, /*clear=*/false);
      Binder bind{s};
      store_codec::encode_execution(*e, bind);
      bind.int64(received_us);
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "insert execution");
      ids_out.push_back(sqlite3_last_insert_rowid(db_.get()));
    }
    return Status::Ok();
  }

  Status journal(std::span<const int64_t> ids, int64_t now_us) override {
    // One row per run of consecutive ids: one row per group, as this connection's inserts
    // are the only ones while its transaction holds the write lock.
    sqlite3_stmt* s = journal_.get();
    for (size_t at = 0; at < ids.size();) {
      size_t end = at + 1;
      while (end < ids.size() && ids[end] == ids[end - 1] + 1) ++end;
      StmtScope scope(s, /*clear=*/false);
      sqlite3_bind_int64(s, 1, ids[at]);
      sqlite3_bind_int64(s, 2, ids[end - 1]);
      sqlite3_bind_int64(s, 3, now_us);
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "write the analytics journal");
      at = end;
    }
    return Status::Ok();
  }

  EmbeddingWriter* embeddings() override { return this; }

  Status save_embeddings(std::span<const EmbeddingRecord> rows) override {
    sqlite3_stmt* s = save_embedding_.get();
    for (const EmbeddingRecord& r : rows) {
      StmtScope scope(s, /*clear=*/false);
      bind_embedding(s, r);
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "save embedding", "id");
    }
    return Status::Ok();
  }

 private:
  explicit SqliteWriter(DbPtr db) : db_(std::move(db)) {}

  Status step_done(sqlite3_stmt* s, std::string_view what) {
    StmtScope scope(s);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, what);
    return Status::Ok();
  }

  DbPtr db_;
  StmtPtr begin_, commit_, rollback_, find_, insert_, journal_, save_embedding_;
  std::unique_ptr<Checkpointer> checkpointer_;  // file databases only
};

}  // namespace

namespace sqlite_impl {

StatusOr<std::unique_ptr<StoreWriter>> open_sqlite_writer(const SqlitePool& pool) {
  return SqliteWriter::create(pool.open_name(), pool.uri(), pool.options());
}

}  // namespace sqlite_impl

}  // namespace agentlearn
