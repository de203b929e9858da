#pragma once
// Loads the shared evaluation data sets (../shared/data, see its README) into memory for
// `agentlearn evaluate-models`: the SWE-bench agent runs as executions, and the Debian
// package descriptions as labelled texts with their fixed train/test split.
#include <string>
#include <vector>

#include "app/import_progress.hpp"
#include "core/execution.hpp"
#include "core/status.hpp"

namespace agentlearn {

// A JSONL file of executions, each line validated as the API validates it.
StatusOr<std::vector<Execution>> load_executions_jsonl(const std::string& path);

// A file of executions read as `agentlearn import` reads it (JSON Lines, or CSV by its
// extension): each record validated as the API validates it, a bad one rejected with its
// line (the file goes on), up to Tally::kMaxKeptErrors of them listed. NotFound when the
// file cannot be read; InvalidArgument when a CSV header is bad or no record is valid.
struct ExecutionsFile {
  std::vector<Execution> rows;
  importing::Tally tally;  // records read, rejected, and why
};
StatusOr<ExecutionsFile> read_executions_file(const std::string& path);

// swebench-verified/executions.jsonl under the shared data folder.
StatusOr<std::vector<Execution>> load_swebench_executions(const std::string& data_dir);

// "Text only": what routing can do from the task text alone. Removes each row's task_type and
// every context member whose value is that same text (SWE-bench's `repository` is its
// task_type), so neither reaches a model or a rule; the task_classifier still guesses a type
// from the text, as it does for a request without one.
void withhold_task_type(std::vector<Execution>& rows);

struct LabelledTexts {
  std::vector<std::string> train_texts, train_labels;
  std::vector<std::string> test_texts, test_labels;
};

// debian-packages/packages.csv: text = short + " " + long description, label = section.
// The package name is never part of the text.
StatusOr<LabelledTexts> load_debian_packages(const std::string& data_dir);

}  // namespace agentlearn
