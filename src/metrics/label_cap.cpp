#include "metrics/label_cap.hpp"

#include <mutex>

namespace agentlearn::metrics {

std::string_view LabelCap::admit(std::string_view value) {
  {
    std::shared_lock lock(mutex_);
    if (admitted_.find(value) != admitted_.end()) return value;
    if (admitted_.size() >= cap_) return kOtherLabel;
  }
  std::unique_lock lock(mutex_);
  if (admitted_.size() >= cap_ && admitted_.find(value) == admitted_.end()) return kOtherLabel;
  admitted_.emplace(value);
  return value;
}

size_t LabelCap::admitted() const {
  std::shared_lock lock(mutex_);
  return admitted_.size();
}

}  // namespace agentlearn::metrics
