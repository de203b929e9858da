// SQLite: a backup is SQLite's online backup API, one snapshot of the database copied to a
// new file while the server keeps writing (store/backup.hpp places and renames the file).
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "store/sqlite/sqlite_store.hpp"

namespace agentlearn {

Status SqliteStore::backup_file(const std::string& source, const std::string& partial) {
  std::error_code ec;
  if (!std::filesystem::exists(source, ec)) return Status::NotFound("sqlite: no database file " + source);
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

}  // namespace agentlearn
