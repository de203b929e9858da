#include "store/postgres/postgres_store.hpp"

#include <chrono>
#include <string>
#include <utility>

#include "store/postgres/postgres_connection.hpp"

namespace agentlearn {

using namespace pg_impl;

PostgresStore::PostgresStore(std::unique_ptr<PostgresPool> pool)
    : Store({postgres_executions(*pool), postgres_models(*pool), postgres_embeddings(*pool),
             postgres_settings(*pool), postgres_recommendation_log(*pool), postgres_analytics(*pool)}),
      pool_(std::move(pool)),
      ping_conn_(pool_->new_connection()) {}

PostgresStore::~PostgresStore() { release_parts(); }

StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& url,
                                                             PostgresOptions options) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = "invalid PostgreSQL URL: " + one_line(err != nullptr ? err : "out of memory");
    if (err != nullptr) PQfreemem(err);
    return Status::Invalid(std::move(msg));
  }
  // "host:port/dbname" for messages; the URL itself may hold a password.
  std::string host, port, dbname;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view k = o->keyword;
    if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") dbname = o->val;
  }
  PQconninfoFree(opts);
  std::string target = (host.empty() ? "localhost" : host) + ":" + (port.empty() ? "5432" : port) +
                       "/" + (dbname.empty() ? "(default database)" : dbname);
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::make_unique<PostgresPool>(url, std::move(target), options)));
}

Status PostgresStore::ping() {
  std::lock_guard lock(ping_mu_);
  auto turn = pool_->dialect().turn();
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (Status st = ping_conn_->ensure(); !st.ok()) return st;
    bool timed_out = false;
    Status st = ping_conn_->ping(pool_->options().ping_timeout_ms, timed_out);
    // Retry only a connection found dead (e.g. after a server restart); a timeout already
    // used up the time budget.
    if (st.ok() || timed_out || ping_conn_->ok() || attempt == 1) return st;
    ping_conn_->drop();
  }
  return Status::Ok();  // unreachable
}

Status PostgresStore::probe_write() {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return settings().put_setting(kWriteProbeSetting, std::to_string(now));
}

}  // namespace agentlearn
