#include "ml/text_vectorizer.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "ml/splitmix64.hpp"
#include "ml/tokenizer.hpp"

namespace agentlearn::ml {

uint64_t TextVectorizer::word_key(std::string_view word) { return stable_hash64(word); }

uint64_t TextVectorizer::bigram_key(uint64_t first, uint64_t second) {
  // Order matters ("make install" is not "install make"), hence the odd multiplier on the
  // first word; the splitmix finaliser spreads the result over all 64 bits.
  return splitmix64_mix(first * 0x9e3779b97f4a7c15ull ^ (second + 0x632be59bd9b4e019ull));
}

uint64_t TextVectorizer::term_key(std::string_view term) {
  auto space = term.find(' ');
  if (space == std::string_view::npos) return word_key(term);
  return bigram_key(word_key(term.substr(0, space)), word_key(term.substr(space + 1)));
}

void TextVectorizer::keys_of(const std::vector<std::string>& words, bool bigrams, std::vector<uint64_t>* keys) {
  keys->clear();
  keys->reserve(bigrams ? 2 * words.size() : words.size());
  for (const auto& w : words) keys->push_back(word_key(w));
  if (bigrams) {
    for (size_t i = 1; i < words.size(); ++i) keys->push_back(bigram_key((*keys)[i - 1], (*keys)[i]));
  }
}

StatusOr<TextVectorizer> TextVectorizer::fit(std::span<const std::string> texts, const TextVectorizerParams& params) {
  if (texts.empty()) return Status::Invalid("no texts to learn a vocabulary from", "texts");
  if (params.max_features < 1) return Status::Invalid("max_features must be at least 1", "max_features");
  if (params.min_df < 1) return Status::Invalid("min_df must be at least 1", "min_df");
  if (texts.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::Invalid("too many texts", "texts");
  }

  TextVectorizer v;
  v.bigrams_ = params.bigrams;

  // Document frequency per key. A term's text is kept only once the key reaches
  // min(min_df, 2) texts: most terms occur in one text only and are never kept.
  std::unordered_map<uint64_t, int32_t> df;
  std::unordered_map<uint64_t, std::string> names;
  const int32_t name_at = std::min(params.min_df, 2);
  std::vector<uint64_t> keys;
  std::vector<std::pair<uint64_t, uint32_t>> firsts;
  for (const auto& text : texts) {
    auto words = tokenize(text);
    keys_of(words, v.bigrams_, &keys);
    // Each key with its first position, so its text can be rebuilt from `words`.
    firsts.resize(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) firsts[i] = {keys[i], static_cast<uint32_t>(i)};
    std::sort(firsts.begin(), firsts.end());
    for (size_t i = 0; i < firsts.size(); ++i) {
      if (i > 0 && firsts[i].first == firsts[i - 1].first) continue;
      if (++df[firsts[i].first] == name_at) {
        size_t pos = firsts[i].second;
        names[firsts[i].first] =
            pos < words.size() ? words[pos] : words[pos - words.size()] + ' ' + words[pos - words.size() + 1];
      }
    }
  }

  std::vector<std::pair<int32_t, const std::string*>> kept;
  for (const auto& [key, name] : names) {
    int32_t d = df.at(key);
    if (d >= params.min_df) kept.push_back({d, &name});
  }
  if (kept.empty()) {
    return Status::Invalid("no term occurs in at least min_df=" + std::to_string(params.min_df) + " texts",
                           "texts");
  }
  auto by_df = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : *a.second < *b.second;
  };
  if (kept.size() > static_cast<size_t>(params.max_features)) {
    std::nth_element(kept.begin(), kept.begin() + params.max_features, kept.end(), by_df);
    kept.resize(params.max_features);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return *a.second < *b.second; });

  double n = static_cast<double>(texts.size());
  for (const auto& [count, term] : kept) {
    v.terms_.push_back(*term);
    v.idf_.push_back(static_cast<float>(std::log((1.0 + n) / (1.0 + count)) + 1.0));
  }
  if (auto s = v.index_terms(); !s.ok()) return s;
  return v;
}

Status TextVectorizer::index_terms() {
  ids_.clear();
  ids_.reserve(terms_.size());
  for (size_t i = 0; i < terms_.size(); ++i) {
    if (!ids_.emplace(term_key(terms_[i]), static_cast<int32_t>(i)).second) {
      return Status::Invalid("vocabulary has two terms with one key: \"" + terms_[i] + "\"");
    }
  }
  return Status::Ok();
}

int32_t TextVectorizer::find(std::string_view term) const {
  auto it = ids_.find(term_key(term));
  return it == ids_.end() ? -1 : it->second;
}

SparseVector TextVectorizer::transform(std::string_view text) const {
  std::vector<uint64_t> keys;
  keys_of(tokenize(text), bigrams_, &keys);
  std::vector<int32_t> ids;
  ids.reserve(keys.size());
  for (uint64_t k : keys) {
    auto it = ids_.find(k);
    if (it != ids_.end()) ids.push_back(it->second);
  }
  std::sort(ids.begin(), ids.end());

  SparseVector out;
  double norm2 = 0;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    double w = (1.0 + std::log(static_cast<double>(j - i))) * idf_[ids[i]];
    out.index.push_back(ids[i]);
    out.value.push_back(static_cast<float>(w));
    norm2 += w * w;
    i = j;
  }
  if (norm2 > 0) {
    auto scale = static_cast<float>(1.0 / std::sqrt(norm2));
    for (float& x : out.value) x *= scale;
  }
  return out;
}

void TextVectorizer::write(ByteWriter& out) const {
  out.put<uint8_t>(bigrams_ ? 1 : 0);
  out.put<uint64_t>(terms_.size());
  for (const auto& t : terms_) out.put_string(t);
  out.put_vector(idf_);
}

StatusOr<TextVectorizer> TextVectorizer::read(ByteReader& in) {
  TextVectorizer v;
  auto bigrams = in.get<uint8_t>();
  auto n = in.get<uint64_t>();
  if (in.ok() && (bigrams > 1 || n == 0 || n > in.remaining() / sizeof(uint64_t))) {
    in.fail("bad vectorizer header");
  }
  v.bigrams_ = bigrams == 1;
  if (in.ok()) v.terms_.reserve(n);
  for (uint64_t i = 0; in.ok() && i < n; ++i) v.terms_.push_back(in.get_string());
  v.idf_ = in.get_vector<float>();
  if (!in.ok()) return in.status();
  if (v.idf_.size() != v.terms_.size()) {
    in.fail("vectorizer has " + std::to_string(v.terms_.size()) + " terms but " + std::to_string(v.idf_.size()) +
            " idf values");
    return in.status();
  }
  for (float x : v.idf_) {
    if (!std::isfinite(x) || x < 1.f) {
      in.fail("vectorizer idf value out of range");
      return in.status();
    }
  }
  if (std::adjacent_find(v.terms_.begin(), v.terms_.end(), std::greater_equal<>()) != v.terms_.end()) {
    in.fail("vectorizer terms out of order");
    return in.status();
  }
  if (auto s = v.index_terms(); !s.ok()) {
    in.fail(s.message());
    return in.status();
  }
  return v;
}

}  // namespace agentlearn::ml
