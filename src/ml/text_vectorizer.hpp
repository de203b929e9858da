#pragma once
// TF-IDF features of a text over words and adjacent-word bigrams: the task classifier's
// input. Weighting follows scikit-learn's TfidfVectorizer(sublinear_tf=True), so results can
// be compared with scikit-learn's reference numbers (docs/models.md):
//   tf  = 1 + ln(count in the text)        (a word said five times is not five times the evidence)
//   idf = ln((1 + n) / (1 + df)) + 1        (smoothed: as if one extra text held every term)
//   row = tf * idf, scaled to unit L2 norm  (long and short texts weigh the same)
// The vocabulary is fixed at fit time; words never seen then are ignored.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"
#include "ml/byte_io.hpp"

namespace agentlearn::ml {

struct TextVectorizerParams {
  // Keep at most this many terms, those in the most texts (ties: alphabetical).
  int max_features = 20000;
  // A term in fewer texts than this is dropped: seen once, it carries no pattern to learn.
  int min_df = 2;
  bool bigrams = true;
};

// One text's features: ascending feature ids and their weights.
struct SparseVector {
  std::vector<int32_t> index;
  std::vector<float> value;
};

class TextVectorizer {
 public:
  // Learns the vocabulary and idf from `texts`. InvalidArgument for no texts, bad params,
  // or when no term occurs in min_df texts.
  static StatusOr<TextVectorizer> fit(std::span<const std::string> texts, const TextVectorizerParams& params);

  // Const: safe to call from many threads at once.
  SparseVector transform(std::string_view text) const;

  size_t num_features() const { return terms_.size(); }
  // Feature names in id order (alphabetical); a bigram is its two words joined by a space.
  const std::vector<std::string>& terms() const { return terms_; }
  const std::vector<float>& idf() const { return idf_; }
  bool bigrams() const { return bigrams_; }
  // The feature id of a term ("word" or "word word"), or -1.
  int32_t find(std::string_view term) const;

  void write(ByteWriter& out) const;
  // Reads what write() wrote; refuses inconsistent contents (duplicate terms, bad idf).
  static StatusOr<TextVectorizer> read(ByteReader& in);

 private:
  // Terms are looked up by a 64-bit key (a word's stable hash, or two hashes mixed for a
  // bigram), so transform() never builds a bigram string. Two distinct terms sharing a key
  // is a 2^-64 event per pair; fit() would merge them, read() refuses it.
  static uint64_t word_key(std::string_view word);
  static uint64_t bigram_key(uint64_t first, uint64_t second);
  static uint64_t term_key(std::string_view term);
  // Feature keys of a tokenized text, in order: words, then bigrams when enabled.
  static void keys_of(const std::vector<std::string>& words, bool bigrams, std::vector<uint64_t>* keys);
  Status index_terms();

  std::vector<std::string> terms_;
  std::vector<float> idf_;
  std::unordered_map<uint64_t, int32_t> ids_;
  bool bigrams_ = true;
};

}  // namespace agentlearn::ml
