#pragma once
// Logs answered recommendations to the store off the request path: requests queue a row and
// go on; a background thread writes what has gathered in one transaction every
// `flush_interval`. Bounded: when the store cannot keep up the oldest rows are not kept and a
// counter says how many were dropped (recommending must not wait for the log).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <mutex>
#include <thread>

#include "metrics/registry.hpp"
#include "store/recommendation_log_store.hpp"

namespace agentlearn {

class RecommendationLog {
 public:
  RecommendationLog(RecommendationLogStore& store, metrics::Registry& registry,
                    std::chrono::milliseconds flush_interval = std::chrono::milliseconds(200),
                    size_t capacity = 100'000);
  ~RecommendationLog();  // writes what is queued, then stops
  RecommendationLog(const RecommendationLog&) = delete;
  RecommendationLog& operator=(const RecommendationLog&) = delete;

  void add(RecommendationLogRow row);
  // Writes everything queued now (tests, shutdown).
  void flush();
  // Rows this process wrote to the store for a model set since it started (running totals,
  // so /models/status need not count the log).
  uint64_t written_for(const std::string& model_version) const;

 private:
  void loop();
  void write(std::deque<RecommendationLogRow>& rows);

  RecommendationLogStore& store_;
  std::chrono::milliseconds interval_;
  size_t capacity_;
  metrics::Counter& dropped_;
  metrics::Counter& written_;
  std::mutex mu_;
  std::mutex write_mu_;  // one writer at a time (the loop or flush())
  std::condition_variable cv_;
  std::deque<RecommendationLogRow> queue_;
  mutable std::mutex counts_mu_;
  std::map<std::string, uint64_t> written_by_version_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace agentlearn
