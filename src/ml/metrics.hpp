#pragma once
// Evaluation metrics, as scikit-learn defines them (so our figures compare with its reference
// figures).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace agentlearn::ml {

// Area under the ROC curve of `scores` for binary `labels` (true = positive); ties count
// half (the Mann-Whitney statistic). NaN when only one class is present.
double roc_auc(std::span<const double> scores, std::span<const bool> labels);

// Mean binary cross-entropy of probabilities, clipped to [1e-15, 1 - 1e-15] as sklearn does.
double log_loss(std::span<const double> probabilities, std::span<const bool> labels);

// Coefficient of determination, 1 - SS_res / SS_tot. NaN for fewer than two values;
// 0 when the truth is constant and predicted exactly, -inf-like when not (sklearn's rule).
double r2_score(std::span<const double> truth, std::span<const double> predicted);

double accuracy(std::span<const std::string> truth, std::span<const std::string> predicted);

// Assigns each of `n` rows to one of `folds` folds such that all rows of a group land in the
// same fold (GroupKFold-like: groups shuffled with `seed`, then dealt to the fold with the
// fewest rows so far, largest groups first).
std::vector<int> group_folds(std::span<const std::string> groups, int folds, uint64_t seed);

}  // namespace agentlearn::ml
