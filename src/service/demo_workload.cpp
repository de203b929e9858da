#include "service/demo_workload.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <random>
#include <string>

#include "core/execution_json.hpp"
#include "core/hash.hpp"

namespace agentlearn {
namespace {

struct TaskType {
  const char* name;
  double base_seconds;  // median time of an average agent
  std::array<const char*, 4> templates;
};

const std::array<TaskType, 8> kTaskTypes = {{
    {"code_generation", 180, {"Implement {} for the {} service", "Write a function that handles {} in {}",
                              "Add {} support to the {} module", "Generate boilerplate for {} in {}"}},
    {"code_review", 90, {"Review the pull request changing {} in {}", "Check {} for security issues in {}",
                         "Review error handling of {} in {}", "Assess test coverage of {} in {}"}},
    {"debugging", 300, {"Fix the crash in {} when {} is empty", "Find why {} times out under {}",
                        "Investigate the flaky test around {} in {}", "Fix the memory leak in {} of {}"}},
    {"documentation", 120, {"Document the {} API of {}", "Write a tutorial on {} for {}",
                            "Update the README section about {} in {}", "Explain {} in the {} guide"}},
    {"data_analysis", 240, {"Analyse {} trends in the {} dataset", "Summarise {} metrics for {}",
                            "Find outliers in {} of {}", "Build a report on {} for {}"}},
    {"testing", 150, {"Write unit tests for {} in {}", "Add integration tests covering {} in {}",
                      "Reproduce the bug in {} with a test for {}", "Write property tests for {} of {}"}},
    {"research", 400, {"Compare libraries for {} in {}", "Survey approaches to {} for {}",
                       "Evaluate {} options for the {} team", "Find prior work on {} relevant to {}"}},
    {"translation", 60, {"Translate the {} page of {} into German", "Localise {} strings in {}",
                         "Translate release notes about {} for {}", "Review the Spanish copy of {} in {}"}},
}};

const std::array<const char*, 12> kTopics = {"pagination", "rate limiting", "caching", "authentication",
                                             "retries", "CSV export", "search", "billing",
                                             "notifications", "logging", "uploads", "scheduling"};
const std::array<const char*, 8> kComponents = {"checkout", "inventory", "gateway", "scheduler",
                                                "reporting", "accounts", "ingest", "frontend"};

struct Agent {
  std::string id;
  double skill;                     // log-odds offset of success
  std::array<double, 8> affinity;   // per task type: log-odds and speed
  double speed;                     // multiplies time
  double cost_per_minute;           // USD
};

}  // namespace

std::vector<Execution> generate_demo_workload(const DemoWorkloadOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uniform(0, 1);

  const std::array<const char*, 5> families = {"planner", "coder", "reviewer", "analyst", "writer"};
  const std::array<const char*, 4> models = {"gpt", "claude", "gemini", "llama"};
  std::vector<Agent> agents;
  for (size_t i = 0; i < 20; ++i) {
    Agent a;
    a.id = fmt::format("{}-{}-{}", families[i % families.size()], models[(i / 5) % models.size()], i + 1);
    a.skill = normal(rng) * 0.5;
    for (size_t t = 0; t < kTaskTypes.size(); ++t) a.affinity[t] = normal(rng) * 0.9;
    // Each family is good at two task types: the strengths a router should learn.
    size_t fam = i % families.size();
    a.affinity[(fam * 2) % kTaskTypes.size()] += 1.5;
    a.affinity[(fam * 2 + 1) % kTaskTypes.size()] += 1.0;
    a.speed = std::exp(normal(rng) * 0.3);
    a.cost_per_minute = 0.002 * std::exp(normal(rng) * 0.8) * (models[(i / 5) % models.size()][0] == 'l' ? 0.2 : 1.0);
    agents.push_back(std::move(a));
  }

  const int64_t span_us = 7LL * 24 * 3600 * 1000000;
  std::vector<Execution> out;
  out.reserve(o.executions);
  size_t task_no = 0;
  while (out.size() < o.executions) {
    // A task, attempted by one to three agents (retries, or hand-offs after a failure).
    const size_t t = static_cast<size_t>(uniform(rng) * kTaskTypes.size()) % kTaskTypes.size();
    const TaskType& type = kTaskTypes[t];
    const char* tmpl = type.templates[static_cast<size_t>(uniform(rng) * 4) % 4];
    std::string text = fmt::format(fmt::runtime(tmpl), kTopics[static_cast<size_t>(uniform(rng) * 12) % 12],
                                   kComponents[static_cast<size_t>(uniform(rng) * 8) % 8]);
    const double difficulty = normal(rng) * 0.7;
    const std::string task_id = fmt::format("demo-task-{:05d}", ++task_no);
    const int64_t task_start = o.end_us - span_us + static_cast<int64_t>(uniform(rng) * static_cast<double>(span_us));
    const int attempts = 1 + static_cast<int>(uniform(rng) * 2.2);
    for (int k = 0; k < attempts && out.size() < o.executions; ++k) {
      const Agent& a = agents[static_cast<size_t>(uniform(rng) * static_cast<double>(agents.size())) % agents.size()];
      const double logit = 0.6 + a.skill + a.affinity[t] - difficulty;
      const bool success = uniform(rng) < 1.0 / (1.0 + std::exp(-logit));
      double seconds = type.base_seconds * a.speed * std::exp(0.5 * difficulty + 0.45 * normal(rng) - 0.15 * a.affinity[t]);
      if (!success) seconds *= 1.3;  // failures tend to run long before giving up
      const bool outlier = uniform(rng) < o.outlier_rate;
      if (outlier) seconds *= 10 + uniform(rng) * 30;
      const double tokens_in = std::round(seconds * (40 + uniform(rng) * 20));
      const double tokens_out = std::round(tokens_in * (0.15 + uniform(rng) * 0.2));
      const double cost = a.cost_per_minute * seconds / 60.0 * (outlier ? 1.5 : 1.0);

      Execution e;
      e.agent_id = a.id;
      e.task_id = task_id;
      e.execution_time = std::round(seconds * 1000) / 1000;
      e.success = success;
      e.task_description = text;
      e.task_type = type.name;
      e.execution_id = fmt::format("demo-{}-{}", task_id, k);
      e.context_json = fmt::format("{{\"priority\":\"{}\",\"difficulty\":{:.2f}}}",
                                   uniform(rng) < 0.2 ? "high" : "normal", 1.0 / (1.0 + std::exp(-difficulty)));
      e.metrics_json = fmt::format("{{\"tokens_in\":{},\"tokens_out\":{},\"cost_usd\":{:.6f}}}", tokens_in,
                                   tokens_out, cost);
      e.cost_usd = std::round(cost * 1e6) / 1e6;
      e.timestamp_us = task_start + k * 600LL * 1000000;
      if (e.timestamp_us > o.end_us) e.timestamp_us = o.end_us;
      // Validate and hash exactly as an API request would be.
      auto parsed = parse_execution(execution_to_json(e), o.end_us);
      if (parsed.ok()) out.push_back(std::move(parsed).value());
    }
  }
  return out;
}

}  // namespace agentlearn
