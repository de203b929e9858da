#include "service/learning_mode.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/json_text.hpp"

namespace agentlearn {

namespace {
constexpr const char* kSettingKey = "learning_mode";
}

const char* mode_name(LearningMode m) {
  switch (m) {
    case LearningMode::kRules: return "rules";
    case LearningMode::kApprentice: return "apprentice";
    case LearningMode::kOnline: return "online";
    case LearningMode::kExploit: return "exploit";
  }
  return "rules";
}

std::optional<LearningMode> parse_mode(std::string_view name) {
  for (LearningMode m : {LearningMode::kRules, LearningMode::kApprentice, LearningMode::kOnline, LearningMode::kExploit}) {
    if (name == mode_name(m)) return m;
  }
  return std::nullopt;
}

ModeSwitch::ModeSwitch(SettingStore& settings, double default_exploration_rate) : settings_(settings) {
  setting_.exploration_rate = default_exploration_rate;
}

Status ModeSwitch::load() {
  auto stored = settings_.get_setting(kSettingKey);
  if (!stored.ok()) return stored.status();
  if (!*stored) return Status::Ok();
  auto j = nlohmann::json::parse(**stored, nullptr, false);
  if (!j.is_object()) return Status::Internal("the stored learning mode is not a JSON object");
  std::lock_guard lock(mu_);
  if (j.contains("mode") && j["mode"].is_string()) setting_.mode = parse_mode(j["mode"].get<std::string>());
  if (j.contains("exploration_rate") && j["exploration_rate"].is_number()) {
    setting_.exploration_rate = j["exploration_rate"].get<double>();
  }
  return Status::Ok();
}

ModeSetting ModeSwitch::get() const {
  std::lock_guard lock(mu_);
  return setting_;
}

StatusOr<ModeSetting> ModeSwitch::set(std::optional<LearningMode> mode, std::optional<double> rate) {
  if (rate && !(std::isfinite(*rate) && *rate >= 0 && *rate <= 1)) {
    return Status::Invalid("exploration_rate must be a number from 0 to 1", "exploration_rate");
  }
  ModeSetting next = get();
  if (mode) next.mode = mode;
  if (rate) next.exploration_rate = *rate;
  nlohmann::json j = {{"exploration_rate", next.exploration_rate}};
  if (next.mode) j["mode"] = mode_name(*next.mode);
  if (Status st = settings_.put_setting(kSettingKey, json_text(j)); !st.ok()) return st;
  std::lock_guard lock(mu_);
  setting_ = next;
  return next;
}

}  // namespace agentlearn
