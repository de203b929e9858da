#pragma once
// Clusters of task-text embeddings (spherical k-means): the "similar past tasks" a routing
// feature and a routing rule can learn from at the cost of one nearest-centroid search per
// request. An agent's record on the task's cluster is evidence from the tasks most like it,
// the way Avengers-Pro routes by clusters of query embeddings; unlike an exact k-nearest
// search over every training task, its cost does not grow with the training set.
//
// Vectors are unit length (the embedding_generator's); similarity is the dot product. Seeded
// k-means++ initialisation, then Lloyd's iterations with each centroid the normalised mean of
// its members: deterministic for a seed.
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.hpp"
#include "ml/byte_io.hpp"

namespace agentlearn::ml {

class TextClusters {
 public:
  TextClusters() = default;
  // At most `k` clusters of the non-zero `vectors` (fewer when there are fewer distinct
  // vectors); empty when k < 1 or no vector is non-zero.
  static TextClusters fit(const std::vector<std::vector<float>>& vectors, int k, uint64_t seed, int iterations = 20);

  int count() const { return count_; }
  int dimensions() const { return dims_; }
  // The cluster whose centroid is most similar (ties: the lower index); -1 for a zero or
  // empty vector, or when there are no clusters.
  int assign(std::span<const float> vector) const;

  void write(ByteWriter& out) const;
  static StatusOr<TextClusters> read(ByteReader& in);

 private:
  int count_ = 0;
  int dims_ = 0;
  std::vector<float> centroids_;  // count_ x dims_, unit rows
};

}  // namespace agentlearn::ml
