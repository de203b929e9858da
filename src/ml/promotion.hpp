#pragma once
// Whether a newly trained set replaces the active one: by the held-out success of the policy
// each serves, paired over the same held-out tasks. The new set is promoted unless it falls
// below the active one by more than 2 paired standard errors: a difference inside the noise
// of a few hundred tasks is no reason to keep an older set (trained on less data), and a
// real loss is.
#include <cstddef>
#include <span>

namespace agentlearn::ml {

struct PromotionVerdict {
  bool promote = true;
  double new_success = 0, active_success = 0;
  double difference = 0;  // new - active
  double standard_error = 0;  // paired, of the difference
  size_t tasks = 0;
};

// `fresh` and `active`: per held-out task, the success of each set's pick (same tasks, same
// order). With no tasks there is nothing to hold the new set back.
PromotionVerdict compare_held_out(std::span<const double> fresh, std::span<const double> active,
                                  double standard_errors = 2);

}  // namespace agentlearn::ml
