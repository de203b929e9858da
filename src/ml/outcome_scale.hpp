#pragma once
// The log scale on which every model sees outcome magnitudes. Times and costs are skewed
// over orders of magnitude (the scikit-learn references report R^2 of log time and log cost);
// the floors keep a zero-second or free run finite.
#include <algorithm>
#include <cmath>

namespace agentlearn::ml {

inline double log_time(double seconds) { return std::log(std::max(seconds, 1e-3)); }
inline double log_cost(double usd) { return std::log(std::max(usd, 1e-6)); }

}  // namespace agentlearn::ml
