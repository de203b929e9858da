#pragma once
// Doc2Vec (paragraph vectors, Le & Mikolov 2014), the embedding_generator: one dense vector
// per task text, compared by cosine similarity (similar tasks, features for other models).
//
// PV-DBOW (the default) trains a vector per document to predict the document's words
// through negative sampling; PV-DM predicts each word from the mean of the document vector
// and its context word vectors. An unseen text gets its vector by the same training with
// the word side frozen ("inference").
//
// Determinism: training is single-threaded with one seeded generator, so the same docs and
// params give bit-identical vectors. infer() seeds its generator from the text and the
// model seed, so the same text always gives the same vector in any thread or process. The
// float kernels have an AVX2 clone picked at load time; it does the same float operations
// in the same order as the SSE2 code (no FMA contraction), so vectors are bit-identical on
// every x86-64 CPU.
//
// Vectors returned by doc_vector() and infer() are L2-normalised, so a dot product is the
// cosine similarity. A text with no vocabulary word gets the zero vector.
//
// The output weights are kept in bfloat16 after training (inference reads random rows of a
// matrix larger than the cache, so it is bound by memory traffic; the rounding changes no
// measured accuracy). serialize() keeps what inference needs (vocabulary, counts, output
// weights, and word vectors for PV-DM), not the training documents' vectors: the service
// reads those right after training and stores them with the texts. A deserialized model
// has doc_count() == 0 and infers exactly as the model it came from.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"

namespace agentlearn::ml {

// Defaults measured on the Debian package descriptions (train on 7,830 texts, infer the
// 1,930 test texts, accuracy of a 10-NN section vote over the train doc vectors; gensim's
// PV-DBOW scores 0.521 there, this code 0.540-0.559 over three seeds, training in ~16 s).
struct Doc2VecParams {
  int dimensions = 256;  // spec: vector_dimensions
  int epochs = 40;
  int negative = 5;   // negative samples per predicted word
  int window = 5;     // context half-width: PV-DM, and PV-DBOW when dbow_words
  int min_count = 2;  // words seen fewer times in the training docs are dropped
  // Learning rate, decayed linearly from alpha to min_alpha over all epochs (as word2vec).
  double alpha = 0.025;
  double min_alpha = 0.0001;
  // Frequent-word subsampling threshold (0 = off). 3e-4 rather than word2vec's 1e-3: on
  // short texts it drops more filler words, which both sharpens the vectors (+2 points of
  // 10-NN accuracy) and makes training and inference cheaper.
  double sample = 3e-4;
  bool dm = false;  // false: PV-DBOW; true: PV-DM (mean of doc and context vectors)
  // PV-DBOW only: also train skip-gram word vectors interleaved with the doc vectors
  // (gensim's dbow_words). Off: on the Debian texts it trained 6x slower (94 s) and scored
  // lower (0.514 against 0.540, same seed).
  bool dbow_words = false;
  // Inference: passes over an unseen text, and the starting learning rate (decayed linearly
  // to min_alpha). The cost is linear in the passes; 10-NN accuracy over three training
  // seeds: 3 passes 0.534, 4: 0.546, 5: 0.552, 6: 0.549, 8: 0.553, 12: 0.557 (flat from 5).
  // A start of 0.05 converges in fewer passes than training's 0.025 (5 passes: 0.552 vs
  // 0.543); 0.1 overshoots (0.543).
  int infer_epochs = 5;
  double infer_alpha = 0.05;
  uint64_t seed = 42;
};

class Doc2Vec {
 public:
  // docs: token lists (already tokenized). InvalidArgument for no docs, no word reaching
  // min_count, or parameters out of range (Status::field() names the parameter).
  static StatusOr<Doc2Vec> train(const std::vector<std::vector<std::string>>& docs, const Doc2VecParams& params);

  int dimensions() const { return params_.dimensions; }
  size_t vocabulary_size() const { return words_.size(); }
  const Doc2VecParams& params() const { return params_; }

  // The L2-normalised trained vector of training doc i (zero if the doc had no vocabulary
  // word); empty for i >= doc_count(). Only on the model train() returned.
  std::span<const float> doc_vector(size_t i) const;
  size_t doc_count() const { return doc_count_; }

  // L2-normalised vector for an unseen text; unknown words are ignored, a text without any
  // known word gives zeros. Deterministic, const and thread-safe.
  std::vector<float> infer(const std::vector<std::string>& tokens) const;

  std::string serialize() const;
  // Refuses blobs of another kind or version, truncated or corrupted (checksum), with
  // InvalidArgument.
  static StatusOr<Doc2Vec> deserialize(std::string_view blob);

 private:
  Doc2Vec() = default;
  class Trainer;

  // Derives the lookup, subsampling and negative-sampling tables from words_ and counts_.
  void build_tables();

  Doc2VecParams params_;
  std::vector<std::string> words_;  // by descending count, ties by word
  std::vector<uint64_t> counts_;
  std::unordered_map<std::string, uint32_t> index_;
  // Subsampling: a word occurrence is kept when a uniform 32-bit draw is below this
  // (2^32: always).
  std::vector<uint64_t> keep_below_;
  // Negative sampling from counts^0.75 by Walker's alias method: O(1) per draw from two
  // small arrays, where a cumulative table needs a cache-unfriendly binary search.
  std::vector<uint32_t> alias_threshold_;
  std::vector<uint32_t> alias_other_;
  std::vector<uint16_t> out_;       // output weights (bfloat16), vocabulary x dimensions
  std::vector<float> words_in_;     // word vectors, PV-DM only, vocabulary x dimensions
  std::vector<float> docs_;         // trained doc vectors, doc_count_ x dimensions, normalised
  size_t doc_count_ = 0;
};

}  // namespace agentlearn::ml
