#pragma once
// The learning mode and exploration rate, kept in the store's settings so a restart and every
// replica agree. Until a mode is set, the mode is `online` once a model set is active and
// `rules` before.
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "store/setting_store.hpp"

namespace agentlearn {

enum class LearningMode { kRules, kApprentice, kOnline, kExploit };

const char* mode_name(LearningMode m);
std::optional<LearningMode> parse_mode(std::string_view name);

struct ModeSetting {
  std::optional<LearningMode> mode;  // nullopt: not set (online with models, rules without)
  double exploration_rate = 0.05;
  LearningMode effective(bool models_active) const {
    return mode ? *mode : models_active ? LearningMode::kOnline : LearningMode::kRules;
  }
};

class ModeSwitch {
 public:
  ModeSwitch(SettingStore& settings, double default_exploration_rate);
  // Reads the stored setting (at start, and when a replica may have changed it).
  Status load();
  ModeSetting get() const;
  // Validates and stores; `rate` nullopt keeps the current rate.
  StatusOr<ModeSetting> set(std::optional<LearningMode> mode, std::optional<double> rate);

 private:
  SettingStore& settings_;
  mutable std::mutex mu_;
  ModeSetting setting_;
};

}  // namespace agentlearn
