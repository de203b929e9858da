#pragma once
// Loads the shared evaluation data sets (../shared/data, see its README) into memory for
// `agentlearn evaluate-models`: the SWE-bench agent runs as executions, and the Debian
// package descriptions as labelled texts with their fixed train/test split.
#include <string>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"

namespace agentlearn {

// A JSONL file of executions, each line validated as the API validates it.
StatusOr<std::vector<Execution>> load_executions_jsonl(const std::string& path);

// swebench-verified/executions.jsonl under the shared data folder.
StatusOr<std::vector<Execution>> load_swebench_executions(const std::string& data_dir);

struct LabelledTexts {
  std::vector<std::string> train_texts, train_labels;
  std::vector<std::string> test_texts, test_labels;
};

// debian-packages/packages.csv: text = short + " " + long description, label = section.
// The package name is never part of the text.
StatusOr<LabelledTexts> load_debian_packages(const std::string& data_dir);

}  // namespace agentlearn
