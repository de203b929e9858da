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

SqliteStore::SqliteStore(std::unique_ptr<SqlitePool> pool)
    : Store({sqlite_executions(*pool), sqlite_models(*pool), sqlite_embeddings(*pool), sqlite_settings(*pool),
             sqlite_recommendation_log(*pool), sqlite_analytics(*pool)}),
      pool_(std::move(pool)) {}

SqliteStore::~SqliteStore() { release_parts(); }

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
  auto pool = std::make_unique<SqlitePool>(path, path, false, options);
  if (Status st = pool->init(); !st.ok()) {
    return Status(st.code(), st.message() + " (" + path + ")");
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(pool)));
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::open_memory(SqliteOptions options) {
  auto pool = std::make_unique<SqlitePool>(":memory:", memdb_name(), true, options);
  if (Status st = pool->init(); !st.ok()) return st;
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(pool)));
}

Status SqliteStore::ping() {
  return pool_->with_control([](sqlite3* control) {
    // Reads the schema cookie from the file header: proves the file is still readable.
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(control, "PRAGMA schema_version", -1, &raw, nullptr);
    StmtPtr s(raw);
    if (rc != SQLITE_OK) return sqlite_status(control, rc, "ping");
    rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return sqlite_status(control, rc, "ping");
    return Status::Ok();
  });
}

Status SqliteStore::probe_write() {
  if (!pool_->uri()) {
    // A fresh file of 64 KiB: SQLite reuses free pages and its WAL, so a full disk could
    // still take a one-row write; new blocks it cannot.
    const std::string probe = pool_->path() + ".write-probe";
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
  return settings().put_setting(kWriteProbeSetting, std::to_string(now));
}

}  // namespace agentlearn
