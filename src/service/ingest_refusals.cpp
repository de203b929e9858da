#include "service/ingest_refusals.hpp"

namespace agentlearn {

std::string_view refusal_label(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kInvalid: return "invalid";
    case RefusalReason::kUnsupportedMediaType: return "unsupported_media_type";
    case RefusalReason::kConflict: return "conflict";
    case RefusalReason::kStoreUnavailable: return "store_unavailable";
    case RefusalReason::kOverloaded: return "overloaded";
    case RefusalReason::kStoreError: return "store_error";
  }
  return "store_error";
}

RefusalReason refusal_reason_of(const Status& st) {
  switch (st.code()) {
    case StatusCode::kConflict: return RefusalReason::kConflict;
    case StatusCode::kUnavailable: return RefusalReason::kStoreUnavailable;
    case StatusCode::kInvalidArgument: return RefusalReason::kInvalid;
    default: return RefusalReason::kStoreError;
  }
}

IngestRefusals::IngestRefusals(metrics::Registry& registry) {
  auto& family = registry.counter("executions_refused_total",
                                  "Executions sent to be recorded and not stored, by reason", {"reason"});
  for (size_t i = 0; i < kReasons; ++i) {
    by_reason_[i] = &family.labels({refusal_label(static_cast<RefusalReason>(i))});
  }
}

void IngestRefusals::add(RefusalReason reason, uint64_t records) {
  if (records > 0) by_reason_[static_cast<size_t>(reason)]->inc(static_cast<double>(records));
}

}  // namespace agentlearn
