#include "store/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <utility>

#include "store/sqlite/sqlite_connection.hpp"

namespace agentlearn {

using namespace sqlite_impl;

namespace {

std::string memdb_name() {
  // A leading '/' makes a memdb database shared by every connection of this process that
  // names it, with ordinary file locking between them; the counter keeps stores apart.
  static std::atomic<uint64_t> counter{0};
  return "file:/agentlearn-mem-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + "?vfs=memdb";
}

}  // namespace

SqliteStore::SqliteStore(std::string path, std::string open_name, bool uri, SqliteOptions options)
    : path_(std::move(path)), open_name_(std::move(open_name)), uri_(uri), options_(options) {
  if (options_.read_pool_size == 0) options_.read_pool_size = 1;
}

SqliteStore::~SqliteStore() {
  idle_readers_.clear();
  write_conn_.reset();
  // Leased readers cannot exist here: a lease lives inside a call on this store.
  if (control_ != nullptr) sqlite3_close_v2(control_);
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                         SqliteOptions options) {
  if (path.empty()) return Status::Invalid("sqlite: empty database path");
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return Status::Unavailable("sqlite: cannot create directory " + p.parent_path().string() +
                                 ": " + ec.message());
    }
  }
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(path, path, false, options));
  if (Status st = store->init(); !st.ok()) {
    return Status(st.code(), st.message() + " (" + path + ")");
  }
  return store;
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::open_memory(SqliteOptions options) {
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(":memory:", memdb_name(), true, options));
  if (Status st = store->init(); !st.ok()) return st;
  return store;
}

Status SqliteStore::init() {
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

Status SqliteStore::ping() {
  std::lock_guard lock(control_mu_);
  // Reads the schema cookie from the file header: proves the file is still readable.
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(control_, "PRAGMA schema_version", -1, &raw, nullptr);
  StmtPtr s(raw);
  if (rc != SQLITE_OK) return sqlite_status(control_, rc, "ping");
  rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW) return sqlite_status(control_, rc, "ping");
  return Status::Ok();
}

Status SqliteStore::probe_write() {
  if (!uri_) {
    // A fresh file of 64 KiB: SQLite reuses free pages and its WAL, so a full disk could
    // still take a one-row write; new blocks it cannot.
    const std::string probe = path_ + ".write-probe";
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Status::Unavailable("sqlite: cannot create " + probe + ": " + std::strerror(errno));
    static const std::vector<char> kBlock(64 * 1024, 'p');
    size_t done = 0;
    int err = 0;
    while (done < kBlock.size()) {
      ssize_t n = ::write(fd, kBlock.data() + done, kBlock.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        err = n < 0 ? errno : ENOSPC;
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (err == 0 && ::fdatasync(fd) != 0) err = errno;
    ::close(fd);
    ::unlink(probe.c_str());
    if (err != 0) return Status::Unavailable("sqlite: cannot write to " + probe + ": " + std::strerror(err));
  }
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return put_setting(kWriteProbeSetting, std::to_string(now));
}

StatusOr<SqliteStore::ReaderLease> SqliteStore::acquire_reader() {
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

void SqliteStore::release_reader(std::unique_ptr<Connection> reader) {
  std::lock_guard lock(pool_mu_);
  idle_readers_.push_back(std::move(reader));
  pool_cv_.notify_one();
}

Status SqliteStore::query(const std::string& sql, std::string_view what,
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

Status SqliteStore::write(const std::function<Status(Connection&)>& fn) {
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
