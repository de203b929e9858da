#pragma once
// A consistent copy of a whole store in one file, while the server keeps running.
//   SQLite:     SQLite's online backup API copies the database (a snapshot, even while it is
//               written) to a new SQLite file; restoring is using that file as the database.
//   PostgreSQL: pg_dump (plain SQL, no owners or privileges); restoring is psql -f into an
//               empty database (docs/operations.md).
// The copy is written beside the target as TARGET.partial and renamed when complete, so a
// failed backup never leaves a file that looks like a good one.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace agentlearn {

struct BackupOptions {
  bool overwrite = false;           // replace an existing target (else it is refused)
  std::string pg_dump = "pg_dump";  // the program run for PostgreSQL (found on PATH)
};

struct BackupReport {
  std::string backend;  // "sqlite" or "postgresql"
  std::string format;   // "sqlite" (a database file) or "sql" (pg_dump's plain SQL)
  std::string path;     // the file written
  uint64_t bytes = 0;
  double seconds = 0;
};

// Backs up the store `url` names to `target`. kInvalidArgument for a URL that names no file
// store nor PostgreSQL, or a target that exists (without overwrite); kNotFound when the SQLite
// file does not exist; kUnavailable when the copy fails (the message says why).
StatusOr<BackupReport> backup_store(std::string_view url, const std::string& target, const BackupOptions& options);

}  // namespace agentlearn
