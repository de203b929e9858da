#pragma once
// The embedding_generator: one unit vector of `dimensions` floats per task text, compared by
// cosine similarity (similar tasks, the stored vectors, features for the other models). Two
// methods behind one face, chosen by `models.embedding_generator.parameters.method`:
//   lsa     (default) TF-IDF reduced by truncated SVD (ml/lsa_embedding.hpp)
//   doc2vec paragraph vectors, PV-DBOW (ml/doc2vec.hpp)
// docs/models.md has the figures that chose the default: on short task texts Doc2Vec puts every
// pair near cosine 1, so a similarity threshold filters nothing.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ml/doc2vec.hpp"
#include "ml/lsa_embedding.hpp"

namespace agentlearn::ml {

struct EmbeddingParams {
  std::string method = "lsa";  // "lsa" or "doc2vec"
  int dimensions = 256;        // spec: vector_dimensions; applies to either method
  uint64_t seed = 42;          // applies to either method
  LsaParams lsa;
  Doc2VecParams doc2vec;
};

// The methods `method` may name, in the order docs list them.
const std::vector<std::string>& embedding_methods();

class EmbeddingGenerator {
 public:
  // Learns from the distinct task texts. InvalidArgument for an unknown method, no texts, or
  // texts too poor for the method (no word reaching the minimum count).
  static StatusOr<EmbeddingGenerator> train(std::span<const std::string> texts, const EmbeddingParams& params);

  const std::string& method() const { return method_; }
  int dimensions() const;
  // A unit vector, or zeros for a text that shares no word with the training texts.
  // Deterministic per text; const and thread-safe.
  std::vector<float> embed(std::string_view text) const;
  // "Doc2Vec (PV-DBOW)", "TF-IDF + SVD (LSA)": for reports.
  std::string description() const;

  std::string serialize() const;
  // Either method's blob, told apart by its magic tag.
  static StatusOr<EmbeddingGenerator> deserialize(std::string_view blob);

 private:
  std::string method_;
  std::optional<LsaEmbedding> lsa_;
  std::optional<Doc2Vec> doc2vec_;
};

}  // namespace agentlearn::ml
