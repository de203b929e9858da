#include "store/sqlite/sqlite_pool.hpp"

#include <string>
#include <utility>

#include "store/sqlite/sqlite_connection.hpp"

namespace agentlearn {

using namespace sqlite_impl;

SqlitePool::SqlitePool(std::string path, std::string open_name, bool uri, SqliteOptions options)
    : path_(std::move(path)), open_name_(std::move(open_name)), uri_(uri), options_(options) {
  if (options_.read_pool_size == 0) options_.read_pool_size = 1;
}

SqlitePool::~SqlitePool() {
  idle_readers_.clear();
  write_conn_.reset();
  // Leased readers cannot exist here: a lease lives inside a call on the store.
  if (control_ != nullptr) sqlite3_close_v2(control_);
}

Status SqlitePool::init() {
  auto db = open_connection(open_name_, uri_, options_);
  if (!db.ok()) return db.status();
  if (!uri_) {
    // WAL is persistent in the file; readers then never block the writer nor it them.
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db->get(), "PRAGMA journal_mode=WAL", -1, &raw, nullptr);
    StmtPtr s(raw);
    if (rc != SQLITE_OK) return sqlite_status(db->get(), rc, "enable WAL");
    rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return sqlite_status(db->get(), rc, "enable WAL");
    std::string_view mode = column_view(s.get(), 0);
    if (mode != "wal") {
      return Status::Unavailable("sqlite: could not enable WAL mode (journal_mode is " +
                                 std::string(mode) + ")");
    }
  }
  control_ = db->release();
  return Status::Ok();
}

StatusOr<SqlitePool::ReaderLease> SqlitePool::acquire_reader() {
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] {
      return !idle_readers_.empty() || open_readers_ < options_.read_pool_size;
    });
    if (!idle_readers_.empty()) {
      auto r = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease(this, std::move(r));
    }
    ++open_readers_;  // reserve the slot, open outside the lock
  }
  auto db = open_connection(open_name_, uri_, options_);
  // Readers never write; query_only turns such a bug into an error instead of a write.
  Status st = db.ok() ? exec(db->get(), "PRAGMA query_only=1", "configure reader") : db.status();
  if (!st.ok()) {
    std::lock_guard lock(pool_mu_);
    --open_readers_;
    pool_cv_.notify_one();
    return st;
  }
  auto r = std::make_unique<Connection>();
  r->db = std::move(db).value();
  return ReaderLease(this, std::move(r));
}

void SqlitePool::release_reader(std::unique_ptr<Connection> reader) {
  std::lock_guard lock(pool_mu_);
  idle_readers_.push_back(std::move(reader));
  pool_cv_.notify_one();
}

Status SqlitePool::query(const std::string& sql, std::string_view what,
                          const std::function<void(sqlite3_stmt*)>& bind,
                          const std::function<void(sqlite3_stmt*)>& row) {
  auto lease = acquire_reader();
  if (!lease.ok()) return lease.status();
  auto st = (*lease)->stmt(sql);
  if (!st.ok()) return st.status();
  sqlite3_stmt* s = *st;
  StmtScope scope(s);
  bind(s);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
  if (rc != SQLITE_DONE) return sqlite_status((*lease)->db.get(), rc, what);
  return Status::Ok();
}

Status SqlitePool::write(const std::function<Status(Connection&)>& fn) {
  std::lock_guard lock(write_mu_);
  if (!write_conn_) {
    auto db = open_connection(open_name_, uri_, options_);
    if (!db.ok()) return db.status();
    write_conn_ = std::make_unique<Connection>();
    write_conn_->db = std::move(db).value();
  }
  sqlite3* db = write_conn_->db.get();
  // IMMEDIATE: wait (busy_timeout) for the group writer's lock up front, rather than fail
  // with SQLITE_BUSY_SNAPSHOT when a read turns into a write.
  if (Status st = exec(db, "BEGIN IMMEDIATE", "begin"); !st.ok()) return st;
  TxnGuard guard(db);
  if (Status st = fn(*write_conn_); !st.ok()) return st;
  if (Status st = exec(db, "COMMIT", "commit"); !st.ok()) return st;
  guard.release();
  return Status::Ok();
}

}  // namespace agentlearn
