#pragma once
// The PostgreSQL store (15+), through libpq's C API. Built to live through server restarts:
// no connection is made until one is needed, a broken connection is replaced on next use
// (the writer at begin(), readers when leased or when a read fails before returning rows),
// and every connection failure is a kUnavailable Status, never a hang: connect_timeout and
// tcp_user_timeout bound each attempt. Every value travels as a parameter or in COPY data;
// no user text is ever spliced into SQL.
//
// Composed of one object per aggregate over one pool of connections (postgres_pool.hpp):
// postgres_executions.cpp (and the group writer's connection, postgres_writer.cpp),
// postgres_models.cpp, postgres_embeddings.cpp, postgres_settings.cpp,
// postgres_recommendation_log.cpp, postgres_analytics.cpp; the schema in
// postgres_migrations.cpp, backups in postgres_backup.cpp, shared plumbing in
// postgres_connection.hpp, text formats in postgres_text_format.hpp.
#include <memory>
#include <mutex>
#include <string>

#include "store/postgres/postgres_pool.hpp"
#include "store/store.hpp"

namespace agentlearn {

class PostgresStore final : public Store {
 public:
  // Checks the URL (postgresql://... or postgres://...) without connecting, so a server
  // can start while PostgreSQL is still down and report "disconnected" until it is up.
  static StatusOr<std::unique_ptr<PostgresStore>> open(const std::string& url, PostgresOptions options = {});
  ~PostgresStore() override;

  const char* backend() const override { return "postgresql"; }
  Status migrate() override;
  Status downgrade_schema(int version) override;
  Status ping() override;
  Status probe_write() override;

  // Runs `program` (pg_dump) on the database `url`, writing plain SQL to `partial`
  // (postgres_backup.cpp); kUnavailable when it cannot run or fails.
  static Status dump(const std::string& url, const std::string& partial, const std::string& program);

 private:
  explicit PostgresStore(std::unique_ptr<PostgresPool> pool);

  std::unique_ptr<PostgresPool> pool_;  // the aggregates (Store::Parts) use it

  // ping() has its own connection so that /health answers even while every pooled
  // connection is busy streaming a long scan.
  std::mutex ping_mu_;
  std::unique_ptr<PostgresPool::Connection> ping_conn_;
};

}  // namespace agentlearn
