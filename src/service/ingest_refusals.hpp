#pragma once
// executions_refused_total{reason}: executions sent to be recorded and not stored, by why.
// The HTTP routes count what they refuse before the service sees it (invalid records, a wrong
// Content-Type); the service counts what the store refused. Every reason is exposed from the
// start at 0, so a rate() over it exists before the first refusal.
//
//   invalid                 a record failed validation, or the body was not records at all
//   unsupported_media_type  the Content-Type was not one the route takes
//   conflict                an execution_id already held other content
//   store_unavailable       the store was down (or known to be down)
//   overloaded              the write queue was full
//   store_error             the store failed otherwise
//
// The unit is records: a batch refused whole counts each of its records; a body that could
// not be read as records at all counts as one.
#include <array>
#include <cstdint>
#include <string_view>

#include "core/status.hpp"
#include "metrics/registry.hpp"

namespace agentlearn {

enum class RefusalReason { kInvalid, kUnsupportedMediaType, kConflict, kStoreUnavailable, kOverloaded, kStoreError };

std::string_view refusal_label(RefusalReason reason);

// The reason a failed write's status stands for.
RefusalReason refusal_reason_of(const Status& write_status);

class IngestRefusals {
 public:
  // Registers (or finds) the family on `registry`; several instances share it.
  explicit IngestRefusals(metrics::Registry& registry);
  void add(RefusalReason reason, uint64_t records);

 private:
  static constexpr size_t kReasons = 6;
  std::array<metrics::Counter*, kReasons> by_reason_{};
};

}  // namespace agentlearn
