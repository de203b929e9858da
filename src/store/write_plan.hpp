#pragma once
// Idempotency planning for one write group, as a pure function: the group's requests and the
// rows already stored under their execution_ids in, the rows to insert, the duplicates and the
// conflicts out. No store, no threads: the group writer does the lookup, hands the answer here,
// inserts what the plan says and resolves the ids after the commit.
//
// The rules (docs/api.md, "Idempotent retries with execution_id"):
//  - a record whose execution_id is stored (or inserted earlier in the group) with the same
//    content is a duplicate: it answers that row's id and inserts nothing;
//  - with other content it is a conflict, and its whole request stores nothing (the group's
//    other requests go on);
//  - a record without an execution_id is always inserted.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/execution.hpp"
#include "core/execution_json.hpp"
#include "store/execution_store.hpp"

namespace agentlearn {

struct WritePlan {
  struct Request {
    // Per record: the stored id (> 0), or -(index in to_insert + 1) for a row this group inserts.
    std::vector<int64_t> refs;
    std::vector<bool> duplicate;
    std::vector<RecordError> conflicts;  // not empty: the request stores nothing
  };
  std::vector<const Execution*> to_insert;  // in order; they point into the requests
  std::vector<Request> requests;            // one per request, in order

  // The ids each record of request `r` answers, given the ids the insert of `to_insert`
  // returned (one each, in order).
  std::vector<int64_t> resolve(size_t r, const std::vector<int64_t>& inserted_ids) const;
};

// Every execution_id of the requests, in order, with repeats: the lookup's input.
std::vector<std::string> execution_ids_of(std::span<const std::span<const Execution>> requests);

// `existing[i]` is the stored row for `ids[i]` (as execution_ids_of gave them), or empty.
WritePlan plan_group_write(std::span<const std::span<const Execution>> requests, const std::vector<std::string>& ids,
                           const std::vector<std::optional<ExistingExecution>>& existing);

}  // namespace agentlearn
