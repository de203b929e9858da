#include "ml/policy_selection.hpp"

namespace agentlearn::ml {

namespace {
constexpr std::string_view kDefaultPolicy = "model";
constexpr double kHurdle = 1;  // paired standard errors
}  // namespace

const PolicyScore* PolicySelection::score_of(std::string_view policy) const {
  for (const auto& s : scores) {
    if (s.policy == policy) return &s;
  }
  return nullptr;
}

void PolicySelection::write(ByteWriter& w) const {
  w.put_string(served);
  w.put<int32_t>(folds);
  w.put<uint64_t>(tasks);
  w.put<uint64_t>(scores.size());
  for (const auto& s : scores) {
    w.put_string(s.policy);
    w.put<double>(s.success);
    w.put<double>(s.difference_se);
  }
  w.put<double>(seconds);
  w.put_string(missing);
}

PolicySelection PolicySelection::read(ByteReader& r) {
  PolicySelection out;
  out.served = r.get_string();
  out.folds = r.get<int32_t>();
  out.tasks = r.get<uint64_t>();
  const auto n = r.get<uint64_t>();
  if (n > 1024) r.fail("implausible policy count");
  for (uint64_t i = 0; r.ok() && i < n; ++i) {
    PolicyScore s;
    s.policy = r.get_string();
    s.success = r.get<double>();
    s.difference_se = r.get<double>();
    out.scores.push_back(std::move(s));
  }
  out.seconds = r.get<double>();
  out.missing = r.get_string();
  return out;
}

PolicySelection select_policy(std::span<const PolicyOutcomes> outcomes, int folds) {
  PolicySelection out;
  out.folds = folds;
  if (outcomes.empty()) return out;
  out.tasks = outcomes.front().success.size();
  size_t best = 0;
  for (size_t p = 1; p < outcomes.size(); ++p) {
    if (outcomes[p].mean_success() > outcomes[best].mean_success()) best = p;
  }
  // The model reads every rule's record among its features, so it stays unless another
  // policy beats it by more than the noise of the comparison.
  for (size_t p = 0; p < outcomes.size(); ++p) {
    if (outcomes[p].policy != kDefaultPolicy || p == best) continue;
    const double margin = outcomes[best].mean_success() - outcomes[p].mean_success();
    if (margin <= kHurdle * paired_standard_error(outcomes[best].success, outcomes[p].success)) best = p;
  }
  out.served = outcomes[best].policy;
  for (const auto& o : outcomes) {
    out.scores.push_back({o.policy, o.mean_success(), paired_standard_error(outcomes[best].success, o.success)});
  }
  return out;
}

}  // namespace agentlearn::ml
