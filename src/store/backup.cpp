#include "store/backup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "store/open_store.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

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
    st = SqliteStore::backup_file(*file, partial);
  } else if (is_postgres_url(url)) {
    report.backend = "postgresql";
    report.format = "sql";
    st = PostgresStore::dump(std::string(url), partial, options.pg_dump);
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
