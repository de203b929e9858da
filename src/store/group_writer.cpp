#include "store/group_writer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "core/time.hpp"
#include "store/write_plan.hpp"

namespace agentlearn {

GroupWriter::GroupWriter(std::unique_ptr<StoreWriter> writer, GroupWriterOptions options)
    : writer_(std::move(writer)), embeddings_(writer_->embeddings()), options_(options) {
  if (options_.registry) {
    group_records_ = &options_.registry
                          ->histogram("store_write_group_records", "Records written per group commit", {},
                                      metrics::exponential_buckets(1, 4, 9))
                          .labels();
    group_seconds_ = &options_.registry
                          ->histogram("store_write_group_seconds",
                                      "Time to write and commit one group (one transaction, one fsync)")
                          .labels();
  }
  completer_ = std::thread([this] { run_completions(); });
  thread_ = std::thread([this] { run(); });
}

GroupWriter::~GroupWriter() { stop(); }

Status GroupWriter::submit(std::vector<Execution> records, WriteCallback done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("the store writer is shutting down");
    if (queued_records_ + records.size() > options_.max_queued_records && queued_records_ > 0) {
      return Status::Unavailable("too many records are waiting to be written; retry shortly");
    }
    queued_records_ += records.size();
    queue_.push_back({std::move(records), std::move(done)});
    if (queued_records_ < wake_at_) return Status::Ok();  // the writer looks when it is ready
  }
  cv_.notify_one();
  return Status::Ok();
}

Status GroupWriter::save_embeddings(std::span<const EmbeddingRecord> rows) {
  if (rows.empty()) return Status::Ok();
  if (!embeddings_) return Status::Internal("this store's writer does not write embeddings");
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("the store writer is shutting down");
    side_.push_back({rows, [promise](Status st) { promise->set_value(std::move(st)); }});
  }
  cv_.notify_one();
  return future.get();
}

void GroupWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  {
    std::lock_guard lock(done_mu_);
    writer_finished_ = true;
  }
  done_cv_.notify_one();
  if (completer_.joinable() && completer_.get_id() != std::this_thread::get_id()) completer_.join();
}

void GroupWriter::run_completions() {
  for (;;) {
    Completed c;
    {
      std::unique_lock lock(done_mu_);
      done_cv_.wait(lock, [&] { return writer_finished_ || !done_queue_.empty(); });
      if (done_queue_.empty()) return;  // the writer has stopped and everything is answered
      c = std::move(done_queue_.front());
      done_queue_.pop_front();
    }
    answer(c);
  }
}

void GroupWriter::answer(Completed& c) {
  for (size_t i = 0; i < c.group.size(); ++i) {
    if (c.outcomes.empty()) {
      WriteOutcome o;
      o.status = c.status;
      c.group[i].done(std::move(o));
    } else {
      c.group[i].done(std::move(c.outcomes[i]));
    }
  }
}

void GroupWriter::set_completion_executor(CompletionExecutor executor) {
  std::lock_guard lock(done_mu_);
  executor_ = std::move(executor);
}

GroupWriterStats GroupWriter::stats() const {
  std::lock_guard lock(mu_);
  GroupWriterStats s = stats_;
  s.embedding_batches_waiting = side_.size();
  return s;
}

void GroupWriter::run() {
  using clock = std::chrono::steady_clock;
  std::vector<Pending> group;
  std::vector<SideWrite> side;
  size_t linger_target = 0;     // records worth waiting for before the next group
  clock::time_point linger_until;
  for (;;) {
    size_t written = 0;
    {
      std::unique_lock lock(mu_);
      wake_at_ = 1;
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !side_.empty(); });
      if (queue_.empty() && side_.empty()) return;  // stopping, and everything queued has been written
      if (!stopping_ && queued_records_ < linger_target && clock::now() < linger_until) {
        wake_at_ = linger_target;
        cv_.wait_until(lock, linger_until, [&] { return stopping_ || queued_records_ >= linger_target; });
      }
      wake_at_ = std::numeric_limits<size_t>::max();
      side.swap(side_);
      size_t records = 0;
      // Take whole requests until the group is big enough; the first is always taken.
      while (!queue_.empty() &&
             (group.empty() || records + queue_.front().records.size() <= options_.max_group_records)) {
        records += queue_.front().records.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_records_ -= records;
      written = records;
    }
    const auto started = clock::now();
    write_group(std::move(group), std::move(side));
    group = {};
    side = {};
    const auto ended = clock::now();
    std::lock_guard lock(mu_);
    linger_target = written == 0 ? 0 : std::min(options_.max_group_records, queued_at_commit_ + written);
    // In floating point: a huge fraction (tests) must not overflow the clock's integer ticks.
    const std::chrono::duration<double> linger = std::min<std::chrono::duration<double>>(
        std::chrono::duration<double>(ended - started) * options_.linger_fraction, options_.max_linger);
    linger_until = ended + std::chrono::duration_cast<clock::duration>(linger);
  }
}

void GroupWriter::write_group(std::vector<Pending> group, std::vector<SideWrite> side) {
  std::vector<WriteOutcome> outcomes;
  const auto started = std::chrono::steady_clock::now();
  Status side_status;
  Status st = try_write_group(group, outcomes, side, &side_status);
  if (!side_status.ok()) {
    // The embeddings failed, not the executions: write these without them.
    spdlog::warn("store write of {} embedding batch(es) failed: {}", side.size(), side_status.message());
    for (auto& s : side) s.done(side_status);
    side.clear();
    st = try_write_group(group, outcomes, side, &side_status);
  }
  // Another process may have inserted one of our execution_ids between our lookup and our
  // insert (replicas on one PostgreSQL). The lookup in a second attempt sees it.
  if (st.code() == StatusCode::kConflict) st = try_write_group(group, outcomes, side, &side_status);
  // The embedder waits on these; it is not an I/O thread, so they are answered here.
  for (auto& s : side) s.done(st.ok() ? side_status : st);
  size_t records = 0;
  for (auto& p : group) records += p.records.size();
  if (group_records_ && !group.empty()) {
    group_records_->observe(static_cast<double>(records));
    group_seconds_->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (group.empty()) return;  // embeddings alone: answered above
  {
    std::lock_guard lock(mu_);
    queued_at_commit_ = queued_records_;  // before any answer frees a client
    ++stats_.groups;
    if (st.ok()) {
      stats_.records += records;
    } else {
      ++stats_.failures;
    }
  }
  if (!st.ok()) {
    spdlog::warn("store write of {} records failed: {}", records, st.message());
    outcomes.clear();
    if (st.code() == StatusCode::kConflict) st = Status::Unavailable("a concurrent write raced this one; retry");
  }
  std::unique_lock lock(done_mu_);
  if (executor_) {
    auto c = std::make_shared<Completed>(Completed{std::move(group), std::move(outcomes), std::move(st)});
    executor_([c] { answer(*c); });
    return;
  }
  done_queue_.push_back({std::move(group), std::move(outcomes), std::move(st)});
  lock.unlock();
  done_cv_.notify_one();
}

Status GroupWriter::try_write_group(std::vector<Pending>& group, std::vector<WriteOutcome>& outcomes,
                                    const std::vector<SideWrite>& side, Status* side_failed) {
  *side_failed = Status::Ok();
  outcomes.assign(group.size(), WriteOutcome{});
  if (Status st = writer_->begin(); !st.ok()) return st;

  // One lookup for every execution_id in the group, then the plan (write_plan.hpp).
  std::vector<std::span<const Execution>> requests;
  requests.reserve(group.size());
  for (const auto& p : group) requests.emplace_back(p.records);
  const std::vector<std::string> ids = execution_ids_of(requests);
  std::vector<std::optional<ExistingExecution>> existing;
  if (!ids.empty()) {
    if (Status st = writer_->find_existing(ids, existing); !st.ok()) {
      writer_->rollback();
      return st;
    }
  }
  WritePlan plan = plan_group_write(requests, ids, existing);
  const std::vector<const Execution*>& to_insert = plan.to_insert;
  for (size_t g = 0; g < group.size(); ++g) {
    auto& out = outcomes[g];
    out.conflicts = std::move(plan.requests[g].conflicts);
    if (out.conflicts.empty()) continue;
    out.status = Status::Conflict(
        fmt::format("{} record(s) reuse an execution_id with different content", out.conflicts.size()),
        "execution_id");
  }

  // The group's steps, one transaction: the executions, the analytics journal row naming
  // them (a rollup round adds them to the cells later), then the embedder's vectors waiting
  // for a transaction.
  std::vector<int64_t> new_ids;
  if (!to_insert.empty()) {
    const int64_t now = now_us();
    if (Status st = writer_->insert(to_insert, now, new_ids); !st.ok()) {
      writer_->rollback();
      return st;
    }
    if (Status st = writer_->journal(new_ids, now); !st.ok()) {
      writer_->rollback();
      return st;
    }
  }
  for (const SideWrite& s : side) {
    if (Status st = embeddings_->save_embeddings(s.rows); !st.ok()) {
      writer_->rollback();
      *side_failed = st;
      return st;
    }
  }
  if (Status st = writer_->commit(); !st.ok()) {
    writer_->rollback();
    return st;
  }
  for (size_t g = 0; g < group.size(); ++g) {
    auto& out = outcomes[g];
    if (!out.status.ok()) continue;
    const std::vector<int64_t> resolved = plan.resolve(g, new_ids);
    out.results.resize(resolved.size());
    for (size_t r = 0; r < resolved.size(); ++r) {
      out.results[r].id = resolved[r];
      out.results[r].duplicate = plan.requests[g].duplicate[r];
    }
  }
  return Status::Ok();
}

}  // namespace agentlearn
