#include "ml/promotion.hpp"

#include "ml/policy_replay.hpp"

namespace agentlearn::ml {

PromotionVerdict compare_held_out(std::span<const double> fresh, std::span<const double> active,
                                  double standard_errors) {
  PromotionVerdict v;
  v.tasks = std::min(fresh.size(), active.size());
  if (v.tasks == 0) return v;
  for (size_t i = 0; i < v.tasks; ++i) {
    v.new_success += fresh[i];
    v.active_success += active[i];
  }
  v.new_success /= static_cast<double>(v.tasks);
  v.active_success /= static_cast<double>(v.tasks);
  v.difference = v.new_success - v.active_success;
  v.standard_error = paired_standard_error(fresh.first(v.tasks), active.first(v.tasks));
  // With no spread (every task moved the same way), any loss is real.
  v.promote = !(v.difference < 0 && -v.difference > standard_errors * v.standard_error);
  return v;
}

}  // namespace agentlearn::ml
