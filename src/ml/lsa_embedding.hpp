#pragma once
// Latent semantic analysis: a task text's TF-IDF vector (ml/text_vectorizer) projected on the
// top right singular vectors of the training texts' TF-IDF matrix, then scaled to unit length.
// One of the embedding_generator's two methods (the other is Doc2Vec).
//
// Why it exists: on short task texts Doc2Vec put every pair of SWE-bench tasks at cosine
// 0.996-0.999, so "similar" meant nothing, while plain TF-IDF cosine separates them (a
// random pair's median near 0.06) and finds same-repository neighbours. The projection keeps
// TF-IDF's meaning at a fixed width (`dimensions`, the store's vector column and HNSW index)
// and lets words that occur together count as related. The figures are in docs/models.md.
//
// The SVD is the randomized range finder of Halko, Martinsson & Tropp (2011), as scikit-learn's
// TruncatedSVD(algorithm="randomized") computes it: a Gaussian test matrix with `oversample`
// extra columns, `power_iterations` rounds of re-orthonormalised power iteration, then the exact
// SVD of the small projected matrix. The output is x·V (scikit-learn's transform, UΣ for a
// training text) without the first `common_components`, normalised, so a dot product is the
// cosine similarity.
//
// Deterministic: the test matrix comes from `seed`, every component's sign is fixed (its
// largest entry positive), and embed() is a pure function of the text, so a training text's
// vector equals its embed() and the same text embeds identically in every process.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ml/text_vectorizer.hpp"

namespace agentlearn::ml {

struct LsaParams {
  int dimensions = 256;  // spec: vector_dimensions; fewer components when the texts allow fewer
  int max_features = 50000;
  int min_df = 2;
  // Words only. With bigrams the vectors scored lower on both measures (debian 10-NN 0.596
  // against 0.623; SWE-bench same-repository share 0.401 against 0.454).
  bool bigrams = false;
  // Passes of X Xᵀ after the first; 1, 2 and 4 gave the same figures within 0.004.
  int power_iterations = 2;
  int oversample = 16;
  // Leading components left out. The first singular vector of an uncentred TF-IDF matrix is
  // nearly the texts' mean direction: the words every task text shares ("the issue is
  // clear"). Dropping it is the common-component removal of Arora, Liang & Ma (2017, "A
  // simple but tough-to-beat baseline for sentence embeddings") and nearly what centring
  // does in PCA. Measured: SWE-bench same-repository share 0.454 -> 0.461, random-pair median
  // 0.101 -> -0.011; debian 10-NN 0.623 -> 0.619.
  int common_components = 1;
  uint64_t seed = 42;
};

class LsaEmbedding {
 public:
  // Learns the vocabulary and the components from `texts` (each distinct text once is the
  // caller's business). InvalidArgument for no texts, no term in min_df texts, or parameters
  // out of range (Status::field() names the parameter).
  static StatusOr<LsaEmbedding> fit(std::span<const std::string> texts, const LsaParams& params);

  int dimensions() const { return params_.dimensions; }
  // Components learned: at most dimensions, fewer when the training texts span fewer
  // (the remaining coordinates of every vector are zero).
  int components() const { return components_; }
  size_t vocabulary_size() const { return vectorizer_.num_features(); }
  const LsaParams& params() const { return params_; }
  const std::vector<float>& singular_values() const { return singular_values_; }

  // Unit-length vector of `dimensions` floats; the zero vector when the text has no
  // vocabulary term (nothing is known about it). Const and thread-safe.
  std::vector<float> embed(std::string_view text) const;

  std::string serialize() const;
  // Refuses blobs of another kind or version, truncated or corrupted (checksum).
  static StatusOr<LsaEmbedding> deserialize(std::string_view blob);

 private:
  LsaEmbedding() = default;

  LsaParams params_;
  TextVectorizer vectorizer_;
  int components_ = 0;
  std::vector<float> singular_values_;  // components_, descending
  // Row f holds feature f's coordinates on the components: vocabulary x components_.
  std::vector<float> projection_;
};

// Validates the parameters alone (InvalidArgument naming the field).
Status validate(const LsaParams& params);

}  // namespace agentlearn::ml
