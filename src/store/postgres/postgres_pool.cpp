#include "store/postgres/postgres_pool.hpp"

#include <string>
#include <utility>

#include "store/postgres/postgres_connection.hpp"

namespace agentlearn {

using namespace pg_impl;

PostgresPool::PostgresPool(std::string url, std::string target, PostgresOptions options)
    : url_(std::move(url)), target_(std::move(target)), options_(options) {
  if (options_.read_pool_size == 0) options_.read_pool_size = 1;
  if (options_.fetch_rows == 0) options_.fetch_rows = 1;
}

PostgresPool::~PostgresPool() = default;

std::unique_ptr<PostgresPool::Connection> PostgresPool::new_connection() {
  return std::make_unique<Connection>(url_, target_, options_, dialect_);
}

StatusOr<PostgresPool::Lease> PostgresPool::acquire() {
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
  if (!c) c = new_connection();
  Lease lease(this, std::move(c));
  if (Status st = lease->ensure(); !st.ok()) return st;  // the lease returns the slot
  return lease;
}

void PostgresPool::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(pool_mu_);
  idle_.push_back(std::move(conn));
  pool_cv_.notify_one();
}

Status PostgresPool::with_read_retry(const std::function<Status(Connection&, bool&)>& fn) {
  auto turn = dialect_.turn();
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

Status PostgresPool::query(const char* sql, std::initializer_list<const char*> params,
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

Status PostgresPool::stream(const std::string& sql, std::span<const char* const> params,
                             const std::function<void(const PGresult*, int)>& row) {
  return with_read_retry([&](Connection& conn, bool& delivered) -> Status {
    return stream_rows(conn.get(), sql, static_cast<int>(params.size()), params.data(),
                       options_.fetch_rows, delivered, row);
  });
}

Status PostgresPool::write_txn(const std::function<Status(Connection&)>& body) {
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

StatusOr<std::unique_ptr<PostgresPool::Connection>> PostgresPool::blob_connection() {
  auto conn = new_connection();
  if (Status st = conn->ensure(); !st.ok()) return st;
  return conn;
}

Status PostgresPool::stream_page(const std::string& sql, std::string_view version, int64_t after_id,
                                  size_t limit, const std::function<void(const pg_result*, int)>& row) {
  if (has_nul(version)) return Status::Ok();  // nothing stored can match
  std::string after = std::to_string(after_id);
  std::string ver(version);
  std::string lim = std::to_string(limit);
  const char* params[] = {after.c_str(), ver.c_str(), limit == 0 ? nullptr : lim.c_str()};  // NULL: no limit
  return stream(sql, params, row);
}

}  // namespace agentlearn
