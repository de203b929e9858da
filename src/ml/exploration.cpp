#include "ml/exploration.hpp"

#include <algorithm>

#include "ml/splitmix64.hpp"

namespace agentlearn::ml {

namespace {
size_t head(size_t ranked, size_t plausible) { return std::max<size_t>(1, std::min(ranked, plausible)); }
}  // namespace

double epsilon_greedy_propensity(size_t position, size_t ranked, double rate, size_t plausible) {
  const size_t m = head(ranked, plausible);
  if (position >= m) return 0;
  const double spread = rate / static_cast<double>(m);
  return position == 0 ? 1 - rate + spread : spread;
}

ExplorationChoice epsilon_greedy(size_t ranked, double rate, size_t plausible, uint64_t random_bits) {
  ExplorationChoice c;
  if (ranked == 0) return c;
  rate = std::clamp(rate, 0.0, 1.0);
  const size_t m = head(ranked, plausible);
  // 53 random bits decide whether to explore; a second, mixed draw picks the position
  // (Lemire's multiply-shift: unbiased to 2^-32).
  const double u = static_cast<double>(random_bits >> 11) * 0x1.0p-53;
  if (u < rate) c.position = static_cast<size_t>(((splitmix64_mix(random_bits) >> 32) * m) >> 32);
  c.propensity = epsilon_greedy_propensity(c.position, ranked, rate, plausible);
  c.explored = c.position != 0;
  return c;
}

}  // namespace agentlearn::ml
