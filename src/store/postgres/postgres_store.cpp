#include "store/postgres/postgres_store.hpp"

#include <chrono>
#include <string>
#include <utility>

#include "store/postgres/postgres_connection.hpp"

namespace agentlearn {

using namespace pg_impl;

PostgresStore::PostgresStore(std::string url, std::string target, PostgresOptions options)
    : url_(std::move(url)), target_(std::move(target)), options_(options) {
  if (options_.read_pool_size == 0) options_.read_pool_size = 1;
  if (options_.fetch_rows == 0) options_.fetch_rows = 1;
  ping_conn_ = std::make_unique<Connection>(url_, target_, options_);
}

PostgresStore::~PostgresStore() = default;

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
  return std::unique_ptr<PostgresStore>(new PostgresStore(url, std::move(target), options));
}

StatusOr<PostgresStore::Lease> PostgresStore::acquire() {
  std::unique_ptr<Connection> c;
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.read_pool_size; });
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
    }
  }
  if (!c) c = std::make_unique<Connection>(url_, target_, options_);
  Lease lease(this, std::move(c));
  if (Status st = lease->ensure(); !st.ok()) return st;  // the lease returns the slot
  return lease;
}

void PostgresStore::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(pool_mu_);
  idle_.push_back(std::move(conn));
  pool_cv_.notify_one();
}

Status PostgresStore::with_read_retry(const std::function<Status(Connection&, bool&)>& fn) {
  auto turn = pglite_turn(url_);
  auto lease = acquire();
  if (!lease.ok()) return lease.status();
  bool delivered = false;
  Status st = fn(**lease, delivered);
  if (st.ok() || delivered || (*lease)->ok()) return st;
  // The pooled connection was dead (server restarted since it was last used): once more.
  (*lease)->drop();
  if (Status c = (*lease)->ensure(); !c.ok()) return c;
  return fn(**lease, delivered);
}

Status PostgresStore::ping() {
  std::lock_guard lock(ping_mu_);
  auto turn = pglite_turn(url_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (Status st = ping_conn_->ensure(); !st.ok()) return st;
    bool timed_out = false;
    Status st = ping_conn_->ping(options_.ping_timeout_ms, timed_out);
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
  return put_setting(kWriteProbeSetting, std::to_string(now));
}

Status PostgresStore::query(const char* sql, std::initializer_list<const char*> params,
                            std::string_view what,
                            const std::function<void(const PGresult*, int)>& row) {
  return with_read_retry([&](Connection& conn, bool&) -> Status {
    // On PGlite the statement's protocol messages (parse, bind, execute) could interleave
    // with another process's outside a transaction; inside one, PGlite makes others wait.
    // BEGIN and COMMIT are simple queries: one message each.
    const bool wrap = conn.pglite();
    if (wrap) {
      if (Status st = exec_script(conn.get(), "BEGIN READ ONLY", what); !st.ok()) return st;
    }
    ReadTxn txn(conn.get());
    if (!wrap) txn.done();
    Result r(PQexecParams(conn.get(), sql, static_cast<int>(params.size()), nullptr,
                          params.begin(), nullptr, nullptr, 0));
    if (!result_ok(r.get())) return pg_status(conn.get(), r.get(), what);
    for (int i = 0, n = PQntuples(r.get()); i < n; ++i) row(r.get(), i);
    if (wrap) {
      txn.done();
      return exec_script(conn.get(), "COMMIT", what);
    }
    return Status::Ok();
  });
}

Status PostgresStore::stream(const std::string& sql, std::span<const char* const> params,
                             const std::function<void(const PGresult*, int)>& row) {
  return with_read_retry([&](Connection& conn, bool& delivered) -> Status {
    return stream_rows(conn.get(), sql, static_cast<int>(params.size()), params.data(),
                       options_.fetch_rows, delivered, row);
  });
}

Status PostgresStore::write_txn(const std::function<Status(Connection&)>& body) {
  return with_read_retry([&](Connection& conn, bool& delivered) -> Status {
    PGconn* c = conn.get();
    {
      Result r(PQexec(c, "BEGIN"));
      if (!result_ok(r.get())) return pg_status(c, r.get(), "begin");
    }
    delivered = true;  // no second attempt from here on
    ReadTxn txn(c);    // rolls back unless committed
    if (Status st = body(conn); !st.ok()) return st;
    Result r(PQexec(c, "COMMIT"));
    txn.done();
    if (!result_ok(r.get())) return pg_status(c, r.get(), "commit");
    return Status::Ok();
  });
}

StatusOr<std::unique_ptr<PostgresStore::Connection>> PostgresStore::blob_connection() {
  auto conn = std::make_unique<Connection>(url_, target_, options_);
  if (Status st = conn->ensure(); !st.ok()) return st;
  return conn;
}

Status PostgresStore::stream_page(const std::string& sql, std::string_view version, int64_t after_id,
                                  size_t limit, const std::function<void(const pg_result*, int)>& row) {
  if (has_nul(version)) return Status::Ok();  // nothing stored can match
  std::string after = std::to_string(after_id);
  std::string ver(version);
  std::string lim = std::to_string(limit);
  const char* params[] = {after.c_str(), ver.c_str(), limit == 0 ? nullptr : lim.c_str()};  // NULL: no limit
  return stream(sql, params, row);
}

}  // namespace agentlearn
