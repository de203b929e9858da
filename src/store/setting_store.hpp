#pragma once
// Small shared settings (the learning mode), so that replicas and restarts agree.
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace agentlearn {

class SettingStore {
 public:
  virtual ~SettingStore() = default;
  virtual Status put_setting(std::string_view key, std::string_view value) = 0;
  virtual StatusOr<std::optional<std::string>> get_setting(std::string_view key) = 0;
};

}  // namespace agentlearn
