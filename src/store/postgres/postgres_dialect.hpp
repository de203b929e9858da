#pragma once
// What the server behind one store does differently from PostgreSQL, learned at connect and
// shared by every connection of that store (its pool owns it).
//
// PGlite serves all its connections from one session and queues their protocol messages one
// at a time: outside a transaction, the Parse/Bind/Execute/Sync of two connections' requests
// interleave (a Bind meets another request's statement: errors, or that query's rows), and a
// message that arrives while the session skips to a Sync after an error is never answered.
// It also runs each message on its own, so COPY FROM STDIN meets the end of its input at once.
// So on PGlite every request of this store waits for its turn, first come first served
// (readers in a loop must not starve the writer); the writer holds it from BEGIN to COMMIT;
// and inserts never use COPY. On PostgreSQL a turn costs one atomic load. Other stores (in
// this process or another) on the same PGlite server are not covered: use one store per
// PGlite server at a time, as `agentlearn serve` does.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace agentlearn {

class PostgresDialect {
 public:
  // A fair lock: turns are served in the order they were asked for.
  class Turns {
   public:
    void lock() {
      std::unique_lock l(mu_);
      uint64_t mine = next_++;
      cv_.wait(l, [&] { return serving_ == mine; });
    }
    void unlock() {
      {
        std::lock_guard l(mu_);
        ++serving_;
      }
      cv_.notify_all();
    }

   private:
    std::mutex mu_;
    std::condition_variable cv_;
    uint64_t next_ = 0;
    uint64_t serving_ = 0;
  };

  // Called at every connect with what the server said it is.
  void learn(bool pglite) {
    if (pglite) pglite_.store(true, std::memory_order_release);
  }
  // One session for every connection, no COPY.
  bool pglite() const { return pglite_.load(std::memory_order_acquire); }
  // This store's turn on a PGlite server, held until the lock goes out of scope; empty on
  // PostgreSQL (or before the first connect said which).
  std::unique_lock<Turns> turn() {
    if (!pglite()) return {};
    return std::unique_lock(turns_);
  }

 private:
  std::atomic<bool> pglite_{false};
  Turns turns_;
};

}  // namespace agentlearn
