// `agentlearn evaluate-models` as CI and a user run it: the real binary on the shared data.
// It must report every figure the issue names, meet every target, and fail (exit 1, saying
// which) when a model misses its target.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace agentlearn {
namespace {

struct CommandRun {
  int exit_code = -1;
  std::string output;  // stdout, and stderr unless it was dropped
};

// `--json` output must be parseable by itself, so such runs drop stderr.
CommandRun run_evaluate(const std::string& args, bool with_stderr = true) {
  std::string cmd = std::string(AGENTLEARN_BINARY) + " evaluate-models " + args +
                    (with_stderr ? " 2>&1" : " 2>/dev/null");
  CommandRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::string kData = std::string("--data ") + AGENTLEARN_SHARED_DATA;

TEST(EvaluateModels, EveryFigureIsReportedAndEveryTargetMet) {
  CommandRun r = run_evaluate(kData + " --json", /*with_stderr=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  for (const char* key : {"task_classifier_accuracy", "embedding_knn_accuracy", "embedding_same_repository_share",
                          "embedding_share_with_neighbour", "agent_selector_auc", "predictor_r2_log_cost",
                          "predictor_r2_log_time", "anomaly_auc"}) {
    ASSERT_TRUE(j.contains(key) && j[key].is_number()) << key << " in " << r.output;
    ASSERT_TRUE(j["targets"].contains(key)) << key;
    EXPECT_GE(j[key].get<double>(), j["targets"][key]["min"].get<double>()) << key;
  }
  // Similar tasks that mean something: 10-NN on the Debian sections at least 0.60, the
  // SWE-bench neighbours from the same repository at least as often as plain TF-IDF's and
  // 0.43, a random pair's cosine far below 1, and the default min_similarity passing a
  // neighbour for at least half the tasks.
  EXPECT_GE(j["embedding_knn_accuracy"].get<double>(), 0.60);
  EXPECT_GE(j["embedding_same_repository_share"].get<double>(), 0.43);
  EXPECT_GE(j["embedding_same_repository_share"].get<double>(), j["tfidf_same_repository_share"].get<double>());
  EXPECT_LE(j["embedding_random_pair_median"].get<double>(), 0.3);
  EXPECT_EQ(j["targets"]["embedding_random_pair_median"]["max"].get<double>(), 0.3);
  EXPECT_GE(j["embedding_share_with_neighbour"].get<double>(), 0.5);
  EXPECT_TRUE(j["targets_met"].get<bool>());
  for (const char* t : {"task_classifier_seconds", "embedding_generator_seconds", "agent_selector_seconds_per_fold",
                        "performance_predictor_seconds_per_fold", "anomaly_detector_seconds"}) {
    EXPECT_TRUE(j["training_seconds"].contains(t)) << t;
  }
}

TEST(EvaluateModels, AMissedTargetExitsOneAndNamesIt) {
  auto dir = std::filesystem::temp_directory_path() / ("agentlearn-eval-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  // A classifier that cannot learn 57 classes: one hidden unit, one epoch, 50 terms.
  std::ofstream(dir / "weak.yaml") << "models:\n  task_classifier:\n    parameters:\n"
                                      "      hidden_units: 1\n      max_epochs: 1\n      max_features: 50\n"
                                      "      refit: false\n";
  CommandRun r = run_evaluate(kData + " --only task_classifier --config " + (dir / "weak.yaml").string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("task_classifier accuracy"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MISSED"), std::string::npos) << r.output;
}

// Doc2Vec on these short texts puts every pair of tasks near cosine 1: the measure must say so.
TEST(EvaluateModels, Doc2VecMissesTheRandomPairTarget) {
  auto dir = std::filesystem::temp_directory_path() / ("agentlearn-eval-d2v-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "d2v.yaml") << "models:\n  embedding_generator:\n    parameters:\n"
                                     "      method: doc2vec\n      epochs: 10\n";
  CommandRun r =
      run_evaluate(kData + " --only embedding_generator --json --config " + (dir / "d2v.yaml").string(), false);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_GT(j["embedding_random_pair_median"].get<double>(), 0.3);
  EXPECT_FALSE(j["targets_met"].get<bool>());
}

TEST(EvaluateModels, UnusableDataOrConfigExitsTwoWithTheReason) {
  CommandRun missing = run_evaluate("--data /nonexistent-agentlearn-data --only anomaly_detector");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent-agentlearn-data/swebench-verified/executions.jsonl"), std::string::npos)
      << missing.output;

  auto dir = std::filesystem::temp_directory_path() / ("agentlearn-eval-bad-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.yaml") << "models:\n  agent_selector:\n    parameters:\n      n_trees: 5\n";
  CommandRun bad = run_evaluate(kData + " --only anomaly_detector --config " + (dir / "bad.yaml").string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("models.agent_selector.parameters.n_trees"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace agentlearn

namespace agentlearn {
namespace {

// The reference bars and model_accuracy_target are different questions: the classifier meets
// its bar and is still below the operator's target, and evaluate-models says so with the
// definition GET /models/status uses (a figure under the target).
TEST(EvaluateModels, ReportsTheAccuracyTargetVerdictAsModelsStatusDefinesIt) {
  auto dir = std::filesystem::temp_directory_path() / ("agentlearn-eval-target-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "target.yaml") << "model_accuracy_target: 0.6\n";
  for (auto [args, target] : {std::pair<std::string, double>{"", 0.85},
                              {" --config " + (dir / "target.yaml").string(), 0.6}}) {
    CommandRun r = run_evaluate(kData + " --only task_classifier --json" + args, /*with_stderr=*/false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output);
    const double accuracy = j["task_classifier_accuracy"].get<double>();
    EXPECT_EQ(j["accuracy_target"]["model_accuracy_target"].get<double>(), target);
    const auto& m = j["accuracy_target"]["models"]["task_classifier"];
    EXPECT_EQ(m["metric"], "accuracy");
    EXPECT_EQ(m["value"].get<double>(), accuracy);
    EXPECT_EQ(m["below_target"].get<bool>(), accuracy < target) << accuracy;
    EXPECT_FALSE(j["accuracy_target"]["models"].contains("agent_selector"));  // not evaluated
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agentlearn
