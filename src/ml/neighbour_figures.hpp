#pragma once
// What an embedding's similarities mean, on labelled texts: whether a text's nearest
// neighbours share its label (SWE-bench: the repository), how similar two unrelated texts
// look, and how similar a text's nearest other text is (what a similarity threshold passes).
#include <span>
#include <string>
#include <vector>

namespace agentlearn::ml {

struct NeighbourFigures {
  // Mean over texts of the share of its k nearest other texts (by cosine) with its label.
  double same_label_share = 0;
  // The same share for k texts drawn at random: sum over labels of (count/n)^2, nearly.
  double chance_share = 0;
  // Median and 99th percentile of the cosine over all pairs of distinct texts.
  double random_pair_median = 0;
  double random_pair_p99 = 0;
  // Median over texts of the cosine to its nearest other text: the highest threshold at
  // which half the texts still find a neighbour.
  double nearest_median = 0;
  // Share of texts whose nearest other text reaches `threshold` (the argument).
  double share_with_neighbour_at_threshold = 0;
};

// vectors: one per text (any width, normalised here); labels: one per text. k >= 1 and at
// least two texts, else all figures are NaN. Quadratic in the texts: for evaluation sets.
NeighbourFigures neighbour_figures(const std::vector<std::vector<float>>& vectors, std::span<const std::string> labels,
                                   int k, double threshold);

}  // namespace agentlearn::ml
