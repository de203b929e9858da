#include "store/backup.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "store/open_store.hpp"

extern char** environ;

namespace agentlearn {
namespace {

namespace fs = std::filesystem;

Status sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Unavailable("cannot sync " + path + ": " + std::strerror(err));
  return Status::Ok();
}

Status sqlite_backup(const std::string& source, const std::string& partial) {
  std::error_code ec;
  if (!fs::exists(source, ec)) return Status::NotFound("sqlite: no database file " + source);
  sqlite3* src = nullptr;
  // Read-write without create: a WAL database needs its -shm, which a reader may have to make.
  int rc = sqlite3_open_v2(source.c_str(), &src, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = src ? sqlite3_errmsg(src) : sqlite3_errstr(rc);
    sqlite3_close_v2(src);
    return Status::Unavailable("sqlite: cannot open " + source + ": " + msg);
  }
  sqlite3_busy_timeout(src, 10000);
  sqlite3* dst = nullptr;
  rc = sqlite3_open_v2(partial.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc);
    sqlite3_close_v2(dst);
    sqlite3_close_v2(src);
    return Status::Unavailable("sqlite: cannot create " + partial + ": " + msg);
  }
  Status st;
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (b == nullptr) {
    st = Status::Unavailable(std::string("sqlite: backup: ") + sqlite3_errmsg(dst));
  } else {
    // All pages in one step: one read transaction on the source, so the copy is one snapshot
    // (WAL lets the server keep writing meanwhile). BUSY/LOCKED: a writer holds a lock; wait.
    for (int attempt = 0;; ++attempt) {
      rc = sqlite3_backup_step(b, -1);
      if (rc == SQLITE_DONE) break;
      if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && attempt < 200) {
        sqlite3_sleep(50);
        continue;
      }
      st = Status::Unavailable(std::string("sqlite: backup: ") + sqlite3_errstr(rc));
      break;
    }
    rc = sqlite3_backup_finish(b);
    if (st.ok() && rc != SQLITE_OK) st = Status::Unavailable(std::string("sqlite: backup: ") + sqlite3_errmsg(dst));
  }
  // The copy is a plain rollback-journal database: one self-contained file, no -wal beside it.
  if (st.ok()) {
    char* err = nullptr;
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err) != SQLITE_OK) {
      st = Status::Unavailable(std::string("sqlite: backup: ") + (err ? err : "journal mode"));
    }
    sqlite3_free(err);
  }
  sqlite3_close_v2(dst);
  sqlite3_close_v2(src);
  return st;
}

Status pg_dump_backup(const std::string& url, const std::string& partial, const std::string& program) {
  std::vector<std::string> args = {program, "--format=plain", "--no-owner", "--no-privileges",
                                   "--file=" + partial, "--dbname=" + url};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    return Status::Unavailable("cannot run " + program + " (" + std::strerror(rc) +
                               "): install the PostgreSQL client (Debian: postgresql-client-15)");
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return Status::Unavailable(std::string("waiting for pg_dump: ") + std::strerror(errno));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Status::Unavailable(program + " failed (exit " +
                               std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus)) +
                               "; its message is above)");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<BackupReport> backup_store(std::string_view url, const std::string& target, const BackupOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (target.empty()) return Status::Invalid("the output file is empty", "output");
  std::error_code ec;
  if (fs::exists(target, ec) && !options.overwrite) {
    return Status::Invalid(target + " exists; choose another file or give --force", "output");
  }
  if (fs::is_directory(target, ec)) return Status::Invalid(target + " is a directory", "output");
  const fs::path parent = fs::path(target).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    return Status::Invalid("backup: the directory " + parent.string() + " does not exist", "output");
  }
  BackupReport report;
  report.path = target;
  const std::string partial = target + ".partial";
  fs::remove(partial, ec);
  Status st;
  if (auto file = sqlite_file_of(url)) {
    report.backend = "sqlite";
    report.format = "sqlite";
    st = sqlite_backup(*file, partial);
  } else if (is_postgres_url(url)) {
    report.backend = "postgresql";
    report.format = "sql";
    st = pg_dump_backup(std::string(url), partial, options.pg_dump);
  } else {
    return Status::Invalid("backup: the database URL names no SQLite file nor PostgreSQL (sqlite:PATH or "
                           "postgresql://...)",
                           "db");
  }
  if (st.ok()) st = sync_file(partial);
  if (st.ok()) {
    fs::rename(partial, target, ec);
    if (ec) st = Status::Unavailable("backup: cannot rename " + partial + " to " + target + ": " + ec.message());
  }
  if (!st.ok()) {
    fs::remove(partial, ec);
    return st;
  }
  report.bytes = fs::file_size(target, ec);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace agentlearn
