#pragma once
// The embedded store: one SQLite file in WAL mode. Durable by construction (synchronous=FULL:
// a committed transaction is on disk before commit() returns, so an acknowledged record
// survives kill -9 and power loss).
//
// Composed of one object per aggregate over one pool of connections (sqlite_pool.hpp):
// sqlite_executions.cpp (and the group writer's connection, sqlite_writer.cpp),
// sqlite_models.cpp, sqlite_embeddings.cpp, sqlite_settings.cpp,
// sqlite_recommendation_log.cpp, sqlite_analytics.cpp; the schema in sqlite_migrations.cpp,
// backups in sqlite_backup.cpp, shared plumbing in sqlite_connection.hpp.
#include <memory>
#include <string>

#include "store/sqlite/sqlite_pool.hpp"
#include "store/store.hpp"

namespace agentlearn {

class SqliteStore final : public Store {
 public:
  // Opens the database file at `path`, creating it and its parent directory if missing.
  static StatusOr<std::unique_ptr<SqliteStore>> open(const std::string& path, SqliteOptions options = {});
  // A private in-memory database shared by this store's connections, gone when the store
  // is destroyed. For tests; not durable.
  static StatusOr<std::unique_ptr<SqliteStore>> open_memory(SqliteOptions options = {});

  ~SqliteStore() override;

  const char* backend() const override { return "sqlite"; }
  Status migrate() override;
  Status downgrade_schema(int version) override;
  Status ping() override;
  Status probe_write() override;

  const std::string& path() const { return pool_->path(); }

  // Copies the database file `source` (in use or not) to a new SQLite file `partial`, one
  // consistent snapshot, as a plain rollback-journal database (sqlite_backup.cpp).
  // kNotFound when `source` does not exist, kUnavailable when the copy fails.
  static Status backup_file(const std::string& source, const std::string& partial);

 private:
  explicit SqliteStore(std::unique_ptr<SqlitePool> pool);

  std::unique_ptr<SqlitePool> pool_;  // the aggregates (Store::Parts) use it
};

}  // namespace agentlearn
