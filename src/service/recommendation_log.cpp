#include "service/recommendation_log.hpp"

#include <spdlog/spdlog.h>

#include <vector>

namespace agentlearn {

RecommendationLog::RecommendationLog(RecommendationLogStore& store, metrics::Registry& registry, std::chrono::milliseconds flush_interval,
                                     size_t capacity)
    : store_(store),
      interval_(flush_interval),
      capacity_(capacity),
      dropped_(registry
                   .counter("recommendation_log_dropped_total",
                            "Answered recommendations not logged because the log could not keep up")
                   .labels()),
      written_(registry.counter("recommendation_log_written_total", "Answered recommendations logged to the store")
                   .labels()) {
  thread_ = std::thread([this] { loop(); });
}

RecommendationLog::~RecommendationLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  flush();
}

void RecommendationLog::add(RecommendationLogRow row) {
  std::lock_guard lock(mu_);
  if (queue_.size() >= capacity_) {
    queue_.pop_front();
    dropped_.inc();
  }
  queue_.push_back(std::move(row));
}

void RecommendationLog::write(std::deque<RecommendationLogRow>& rows) {
  if (rows.empty()) return;
  std::vector<RecommendationLogRow> batch(std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
  rows.clear();
  if (Status st = store_.log_recommendations(batch); !st.ok()) {
    dropped_.inc(static_cast<double>(batch.size()));
    spdlog::warn("could not log {} recommendations: {}", batch.size(), st.message());
    return;
  }
  written_.inc(static_cast<double>(batch.size()));
  std::lock_guard lock(counts_mu_);
  for (const auto& row : batch) ++written_by_version_[row.model_version];
}

uint64_t RecommendationLog::written_for(const std::string& model_version) const {
  std::lock_guard lock(counts_mu_);
  auto it = written_by_version_.find(model_version);
  return it == written_by_version_.end() ? 0 : it->second;
}

void RecommendationLog::flush() {
  std::lock_guard writing(write_mu_);
  std::deque<RecommendationLogRow> rows;
  {
    std::lock_guard lock(mu_);
    rows.swap(queue_);
  }
  write(rows);
}

void RecommendationLog::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    flush();
    lock.lock();
  }
}

}  // namespace agentlearn
