// The store sink of `agentlearn import --db`: batches written to the store directly.
#include <utility>

#include "app/import_sink.hpp"

namespace agentlearn::importing {
namespace {

class StoreSink : public Sink {
 public:
  explicit StoreSink(std::unique_ptr<DirectWriter> writer) : writer_(std::move(writer)) {}

  Status send(std::vector<Pending>& batch, Tally& tally) override {
    std::vector<size_t> group(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) group[i] = i;
    while (!group.empty()) {
      // A copy: on a conflict nothing was stored and the rest must be written again.
      std::vector<Execution> records;
      records.reserve(group.size());
      for (size_t i : group) records.push_back(batch[i].execution);
      WriteOutcome outcome = writer_->write(std::move(records));
      if (outcome.status.ok()) {
        for (const StoredExecution& r : outcome.results) ++(r.duplicate ? tally.duplicates : tally.imported);
        return Status::Ok();
      }
      if (outcome.conflicts.empty()) return outcome.status;
      std::vector<bool> bad(group.size(), false);
      for (const RecordError& e : outcome.conflicts) {
        if (e.index >= group.size() || bad[e.index]) continue;
        bad[e.index] = true;
        tally.reject(batch[group[e.index]].line, e.field, e.message);
      }
      std::vector<size_t> rest;
      for (size_t k = 0; k < group.size(); ++k) {
        if (!bad[k]) rest.push_back(group[k]);
      }
      if (rest.size() == group.size()) return outcome.status;  // nothing named: do not loop
      group = std::move(rest);
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<DirectWriter> writer_;
};

}  // namespace

std::unique_ptr<Sink> store_sink(std::unique_ptr<DirectWriter> writer) {
  return std::make_unique<StoreSink>(std::move(writer));
}

}  // namespace agentlearn::importing
