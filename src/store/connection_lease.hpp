#pragma once
// A connection borrowed from a backend's pool (sqlite/, postgres/), given back to it by
// `Release` when the lease goes out of scope, however the borrower leaves.
#include <memory>
#include <utility>

namespace agentlearn {

template <class Conn, class Pool, void (Pool::*Release)(std::unique_ptr<Conn>)>
class ConnectionLease {
 public:
  ConnectionLease(Pool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
  ConnectionLease(ConnectionLease&& o) noexcept : pool_(o.pool_), conn_(std::move(o.conn_)) {}
  ConnectionLease& operator=(ConnectionLease&&) = delete;
  ~ConnectionLease() {
    if (conn_) (pool_->*Release)(std::move(conn_));
  }
  Conn& operator*() const { return *conn_; }
  Conn* operator->() const { return conn_.get(); }

 private:
  Pool* pool_;
  std::unique_ptr<Conn> conn_;
};

}  // namespace agentlearn
