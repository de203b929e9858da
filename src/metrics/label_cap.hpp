#pragma once
// Keeps a label's values bounded whatever clients send: the first `cap` distinct values are
// admitted as themselves, every value after that is reported as "other". Admission lasts for
// the life of the process (a restart admits again, first come first served). A value spelled
// "other" is not told apart from the bucket.
//
//   LabelCap agents(100);
//   predictions.labels({agents.admit(agent_id), model}).inc();
#include <cstddef>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace agentlearn::metrics {

inline constexpr std::string_view kOtherLabel = "other";

class LabelCap {
 public:
  explicit LabelCap(size_t cap) : cap_(cap) {}
  // `value` itself if it is (or now becomes) one of the admitted values, else kOtherLabel.
  std::string_view admit(std::string_view value);
  size_t cap() const { return cap_; }
  size_t admitted() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  const size_t cap_;
  mutable std::shared_mutex mutex_;
  std::unordered_set<std::string, Hash, std::equal_to<>> admitted_;
};

}  // namespace agentlearn::metrics
