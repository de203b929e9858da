#include "ml/doc2vec.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>

#include "ml/byte_io.hpp"
#include "ml/splitmix64.hpp"
#include "ml/tokenizer.hpp"

// The kernels below dominate training and inference. The build targets baseline x86-64
// (SSE2); the step functions also get an AVX2 clone, chosen when the program loads. Not
// "x86-64-v3": with FMA the compiler fuses multiply-adds, which rounds differently from
// the SSE2 code, and a replica on an older CPU would compute other vectors for the same
// text. Measured inferring 60-word texts (6 passes, p50): SSE2 133 us, AVX2 102 us,
// AVX2+FMA 95 us.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(AGENTLEARN_NO_TARGET_CLONES)
#define AGENTLEARN_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define AGENTLEARN_KERNEL
#endif

namespace agentlearn::ml {

namespace {

constexpr std::string_view kMagic = "AL-DOC2VEC";
constexpr uint32_t kFormatVersion = 1;
constexpr int kMaxNegative = 64;
constexpr int kMaxDimensions = 4096;

using Rng = SplitMix64;

// ---------------------------------------------------------------- float kernels
// Fixed blocks of 32 floats, fully unrolled: GCC's -O2 vectoriser takes only loops whose
// trip count is a known multiple of the vector width, and a reduction only when written as
// independent partial sums (float addition is not associative, so it may not reorder one
// running sum). Without the unroll pragmas GCC kept the 32 partial sums in memory and the
// dot product ran at half speed. 32 sums are 4 AVX or 8 SSE registers, enough independent
// chains to hide the add latency, and they are combined in a fixed order.
constexpr size_t kBlock = 32;

// bfloat16 is the high half of a float: widening is a shift.
[[gnu::always_inline]] inline float widen(float x) { return x; }
[[gnu::always_inline]] inline float widen(uint16_t h) { return std::bit_cast<float>(uint32_t{h} << 16); }

uint16_t to_bfloat16(float x) {
  uint32_t b = std::bit_cast<uint32_t>(x);
  b += 0x7fffu + ((b >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<uint16_t>(b >> 16);
}

template <typename T>
[[gnu::always_inline]] inline float dot(const float* __restrict a, const T* __restrict b, size_t n) {
  float acc[kBlock] = {};
  size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
#pragma GCC unroll 32
    for (size_t k = 0; k < kBlock; ++k) acc[k] += a[i + k] * widen(b[i + k]);
  }
  float tail = 0.f;
  for (; i < n; ++i) tail += a[i] * widen(b[i]);
#pragma GCC unroll 16
  for (size_t k = 0; k < kBlock / 2; ++k) acc[k] += acc[k + kBlock / 2];
#pragma GCC unroll 8
  for (size_t k = 0; k < kBlock / 4; ++k) acc[k] += acc[k + kBlock / 4];
#pragma GCC unroll 4
  for (size_t k = 0; k < kBlock / 8; ++k) acc[k] += acc[k + kBlock / 8];
  return ((acc[0] + acc[2]) + (acc[1] + acc[3])) + tail;
}

// y += a * x
[[gnu::always_inline]] inline void axpy(float a, const float* __restrict x, float* __restrict y, size_t n) {
  size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
#pragma GCC unroll 32
    for (size_t k = 0; k < kBlock; ++k) y[i + k] += a * x[i + k];
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

// y = (accumulate ? y : 0) + sum_r g[r] * m[rows[r]]: one pass over y however many rows,
// each 32-float block of y held in registers while the rows stream through. (Widening into
// x[] first keeps GCC's AVX2 code vectorised; folded into the sum it went scalar.)
template <typename T>
[[gnu::always_inline]] inline void gather_axpy(const T* m, const uint32_t* rows, const float* g, int n_rows,
                                               size_t dim, float* __restrict y, bool accumulate) {
  size_t i = 0;
  for (; i + kBlock <= dim; i += kBlock) {
    float acc[kBlock];
#pragma GCC unroll 32
    for (size_t k = 0; k < kBlock; ++k) acc[k] = accumulate ? y[i + k] : 0.f;
    for (int r = 0; r < n_rows; ++r) {
      const T* __restrict o = m + size_t{rows[r]} * dim + i;
      float x[kBlock];
#pragma GCC unroll 32
      for (size_t k = 0; k < kBlock; ++k) x[k] = widen(o[k]);
      float gr = g[r];
#pragma GCC unroll 32
      for (size_t k = 0; k < kBlock; ++k) acc[k] += gr * x[k];
    }
#pragma GCC unroll 32
    for (size_t k = 0; k < kBlock; ++k) y[i + k] = acc[k];
  }
  for (; i < dim; ++i) {
    float acc = accumulate ? y[i] : 0.f;
    for (int r = 0; r < n_rows; ++r) acc += g[r] * widen(m[size_t{rows[r]} * dim + i]);
    y[i] = acc;
  }
}

// sigma(x) by table over [-kMaxExp, kMaxExp], clamped outside as word2vec does (std::exp
// per prediction would cost as much as the dot product).
constexpr float kMaxExp = 6.f;
constexpr int kSigmoidSteps = 2048;

struct SigmoidTable {
  std::array<float, kSigmoidSteps + 1> v;
  SigmoidTable() {
    for (int i = 0; i <= kSigmoidSteps; ++i) {
      double x = (2.0 * i / kSigmoidSteps - 1.0) * kMaxExp;
      v[static_cast<size_t>(i)] = static_cast<float>(1.0 / (1.0 + std::exp(-x)));
    }
  }
};
const SigmoidTable kSigmoid;

[[gnu::always_inline]] inline float sigmoid(float x) {
  if (!(x > -kMaxExp)) return 0.f;  // NaN too
  if (x >= kMaxExp) return 1.f;
  auto i = static_cast<int>((x + kMaxExp) * (kSigmoidSteps / (2 * kMaxExp)) + 0.5f);
  return kSigmoid.v[static_cast<size_t>(i)];
}

// The scaled errors of one negative-sampling prediction: input `in` predicts rows[0]
// (label 1) and not rows[1..n) (label 0); g[r] = (label - sigma(in . row)) * alpha.
template <typename T>
[[gnu::always_inline]] inline void errors(const float* __restrict in, const T* out, const uint32_t* rows, int n,
                                          size_t dim, float alpha, float* g) {
  for (int r = 0; r < n; ++r) {
    g[r] = ((r == 0 ? 1.f : 0.f) - sigmoid(dot(in, out + size_t{rows[r]} * dim, dim))) * alpha;
  }
}

// Training: sets grad to the gradient for `in` (the caller adds it, possibly to several
// vectors) and moves the output rows by theirs, all from the same `in` and rows.
AGENTLEARN_KERNEL void train_step(const float* __restrict in, float* out, const uint32_t* rows, int n, size_t dim,
                                  float alpha, float* __restrict grad) {
  float g[kMaxNegative + 1];
  errors(in, out, rows, n, dim, alpha, g);
  gather_axpy(out, rows, g, n, dim, grad, false);
  for (int r = 0; r < n; ++r) axpy(g[r], in, out + size_t{rows[r]} * dim, dim);
}

// Inference: output rows frozen; the gradient goes straight into `target`, which may be
// `in` itself (every error is computed before the update).
AGENTLEARN_KERNEL void infer_step(const float* in, const uint16_t* out, const uint32_t* rows, int n, size_t dim,
                                  float alpha, float* target) {
  float g[kMaxNegative + 1];
  errors(in, out, rows, n, dim, alpha, g);
  gather_axpy(out, rows, g, n, dim, target, true);
}

void add_to(const float* __restrict x, float* __restrict y, size_t n) { axpy(1.f, x, y, n); }

// Scales v to unit length; a zero or non-finite vector becomes zeros.
void normalize(std::span<float> v) {
  double ss = 0;
  for (float x : v) ss += double{x} * x;
  if (!(ss > 0) || !std::isfinite(ss)) {
    std::fill(v.begin(), v.end(), 0.f);
    return;
  }
  auto inv = static_cast<float>(1.0 / std::sqrt(ss));
  for (float& x : v) x *= inv;
}

// Small random start, (u - 0.5) / dim, as word2vec initialises its vectors.
void random_init(std::span<float> v, Rng& rng, size_t dim) {
  float scale = 1.f / static_cast<float>(dim);
  for (float& x : v) x = (rng.unit_float() - 0.5f) * scale;
}

// ---------------------------------------------------------------- sampling
// Views of the model's sampling tables, shared by training and inference.
struct Sampler {
  std::span<const uint64_t> keep_below;
  std::span<const uint32_t> alias_threshold;
  std::span<const uint32_t> alias_other;
  int negative = 5;

  // Frequent-word subsampling: the occurrences of a doc that take part in this pass.
  void subsample(std::span<const uint32_t> ids, Rng& rng, std::vector<uint32_t>& kept) const {
    kept.clear();
    for (uint32_t id : ids)
      if (keep_below[id] > 0xffffffffull || rng.next32() < keep_below[id]) kept.push_back(id);
  }
  uint32_t draw_negative(Rng& rng) const {
    uint64_t r = rng.next();
    auto col = static_cast<uint32_t>(((r >> 32) * alias_threshold.size()) >> 32);
    return static_cast<uint32_t>(r) < alias_threshold[col] ? col : alias_other[col];
  }
  // rows[0] = target, then up to `negative` noise words (a draw equal to the target is
  // skipped, as word2vec does). Returns the row count.
  int draw_rows(uint32_t target, Rng& rng, uint32_t* rows) const {
    int n = 0;
    rows[n++] = target;
    for (int d = 0; d < negative; ++d) {
      uint32_t w = draw_negative(rng);
      if (w != target) rows[n++] = w;
    }
    return n;
  }
};

// word2vec's reduced window: a random half-width in [1, window], so near words weigh more.
std::pair<size_t, size_t> context_range(size_t i, size_t n, int window, Rng& rng) {
  auto w = static_cast<size_t>(window) - rng.below32(static_cast<uint32_t>(window));
  size_t lo = i >= w ? i - w : 0;
  size_t hi = std::min(n, i + w + 1);
  return {lo, hi};
}

// PV-DM input: the mean of the doc vector and the context word vectors [lo, hi) but i.
void dm_input(std::span<const uint32_t> kept, size_t i, size_t lo, size_t hi, const float* dv, const float* words_in,
              size_t dim, float* mean) {
  std::copy(dv, dv + dim, mean);
  size_t count = 1;
  for (size_t j = lo; j < hi; ++j) {
    if (j == i) continue;
    add_to(words_in + size_t{kept[j]} * dim, mean, dim);
    ++count;
  }
  float inv = 1.f / static_cast<float>(count);
  for (size_t k = 0; k < dim; ++k) mean[k] *= inv;
}

Status validate(const Doc2VecParams& p) {
  auto bad = [](std::string field, const std::string& what) {
    return Status::Invalid("doc2vec: " + field + " " + what, field);
  };
  if (p.dimensions < 1 || p.dimensions > kMaxDimensions)
    return bad("dimensions", "must be in [1, " + std::to_string(kMaxDimensions) + "]");
  if (p.epochs < 1 || p.epochs > 1000) return bad("epochs", "must be in [1, 1000]");
  if (p.negative < 1 || p.negative > kMaxNegative)
    return bad("negative", "must be in [1, " + std::to_string(kMaxNegative) + "]");
  if (p.window < 1 || p.window > 100) return bad("window", "must be in [1, 100]");
  if (p.min_count < 1) return bad("min_count", "must be at least 1");
  if (!(p.alpha > 0 && p.alpha <= 1)) return bad("alpha", "must be in (0, 1]");
  if (!(p.min_alpha >= 0 && p.min_alpha <= p.alpha)) return bad("min_alpha", "must be in [0, alpha]");
  if (!(p.sample >= 0 && p.sample < 1)) return bad("sample", "must be in [0, 1)");
  if (p.infer_epochs < 1 || p.infer_epochs > 1000) return bad("infer_epochs", "must be in [1, 1000]");
  if (!(p.infer_alpha >= p.min_alpha && p.infer_alpha <= 1)) return bad("infer_alpha", "must be in [min_alpha, 1]");
  return Status::Ok();
}

// Linear decay from `start` to min_alpha as progress goes from 0 to 1.
float decayed(double start, double min_alpha, double progress) {
  return static_cast<float>(start - (start - min_alpha) * progress);
}

}  // namespace

// ---------------------------------------------------------------- tables
void Doc2Vec::build_tables() {
  size_t n = words_.size();
  index_.clear();
  index_.reserve(n);
  for (size_t i = 0; i < n; ++i) index_.emplace(words_[i], static_cast<uint32_t>(i));
  uint64_t total = std::accumulate(counts_.begin(), counts_.end(), uint64_t{0});

  // Subsampling keep probability (word2vec's formula): (sqrt(c/t) + 1) * t/c with
  // t = sample * total occurrences.
  keep_below_.assign(n, uint64_t{1} << 32);
  if (params_.sample > 0) {
    double t = params_.sample * static_cast<double>(total);
    for (size_t i = 0; i < n; ++i) {
      double c = static_cast<double>(counts_[i]);
      double keep = (std::sqrt(c / t) + 1) * t / c;
      if (keep < 1) keep_below_[i] = static_cast<uint64_t>(keep * 4294967296.0);
    }
  }

  // Vose's alias table over counts^0.75 (word2vec's smoothed unigram noise): column i keeps
  // itself with probability threshold/2^32, otherwise gives alias_other.
  std::vector<double> p(n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += p[i] = std::pow(static_cast<double>(counts_[i]), 0.75);
  for (double& x : p) x = x * static_cast<double>(n) / sum;
  alias_threshold_.assign(n, 0xffffffffu);
  alias_other_.resize(n);
  std::iota(alias_other_.begin(), alias_other_.end(), 0u);
  std::vector<uint32_t> small, large;
  for (size_t i = 0; i < n; ++i) (p[i] < 1 ? small : large).push_back(static_cast<uint32_t>(i));
  while (!small.empty() && !large.empty()) {
    uint32_t s = small.back(), l = large.back();
    small.pop_back();
    alias_threshold_[s] = static_cast<uint32_t>(std::min(p[s] * 4294967296.0, 4294967295.0));
    alias_other_[s] = l;
    p[l] -= 1 - p[s];
    if (p[l] < 1) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Columns left over have probability 1 up to rounding: all-ones threshold, alias itself.
}

// ---------------------------------------------------------------- training
class Doc2Vec::Trainer {
 public:
  Trainer(Doc2Vec& m, const std::vector<std::vector<std::string>>& docs)
      : m_(m), p_(m.params_), dim_(static_cast<size_t>(m.params_.dimensions)), rng_(m.params_.seed) {
    build_vocabulary(docs);
  }

  Status run() {
    if (m_.words_.empty()) {
      return Status::Invalid("doc2vec: no word occurs at least min_count=" + std::to_string(p_.min_count) +
                                 " times in the training texts",
                             "min_count");
    }
    m_.build_tables();
    sampler_ = Sampler{m_.keep_below_, m_.alias_threshold_, m_.alias_other_, p_.negative};
    init_weights();
    size_t n_docs = m_.doc_count_;
    std::vector<uint32_t> order(n_docs);
    std::iota(order.begin(), order.end(), 0u);
    double total_steps = static_cast<double>(p_.epochs) * static_cast<double>(n_docs);
    for (int epoch = 0; epoch < p_.epochs; ++epoch) {
      shuffle(order);
      for (size_t k = 0; k < n_docs; ++k) {
        double done = static_cast<double>(epoch) * static_cast<double>(n_docs) + static_cast<double>(k);
        train_doc(order[k], decayed(p_.alpha, p_.min_alpha, done / total_steps));
      }
    }
    finish();
    return Status::Ok();
  }

 private:
  // Vocabulary: words with at least min_count occurrences, by descending count (frequent
  // rows adjacent in memory), ties by word so that the order never depends on hashing.
  void build_vocabulary(const std::vector<std::vector<std::string>>& docs) {
    std::unordered_map<std::string_view, uint64_t> counts;
    for (const auto& doc : docs)
      for (const auto& w : doc) ++counts[w];
    std::vector<std::pair<std::string_view, uint64_t>> kept;
    for (const auto& [w, c] : counts)
      if (c >= static_cast<uint64_t>(p_.min_count)) kept.emplace_back(w, c);
    std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::unordered_map<std::string_view, uint32_t> id;
    for (const auto& [w, c] : kept) {
      id.emplace(w, static_cast<uint32_t>(m_.words_.size()));
      m_.words_.emplace_back(w);
      m_.counts_.push_back(c);
    }
    // Docs as vocabulary ids, flattened into one array.
    doc_start_.reserve(docs.size() + 1);
    doc_start_.push_back(0);
    for (const auto& doc : docs) {
      for (const auto& w : doc)
        if (auto it = id.find(w); it != id.end()) ids_.push_back(it->second);
      doc_start_.push_back(ids_.size());
    }
    m_.doc_count_ = docs.size();
  }

  std::span<const uint32_t> doc_ids(size_t d) const {
    return {ids_.data() + doc_start_[d], doc_start_[d + 1] - doc_start_[d]};
  }

  // Doc and word vectors start small and random, output weights at zero (as word2vec).
  void init_weights() {
    size_t v = m_.words_.size();
    m_.docs_.resize(m_.doc_count_ * dim_);
    random_init(m_.docs_, rng_, dim_);
    out_.assign(v * dim_, 0.f);
    if (p_.dm || p_.dbow_words) {
      words_in_.resize(v * dim_);
      random_init(words_in_, rng_, dim_);
    }
    grad_.resize(dim_);
    mean_.resize(dim_);
  }

  // Fisher-Yates with the training generator: a fresh doc order every epoch.
  void shuffle(std::vector<uint32_t>& order) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng_.below32(static_cast<uint32_t>(i))]);
  }

  void train_doc(uint32_t d, float alpha) {
    sampler_.subsample(doc_ids(d), rng_, kept_);
    if (kept_.empty()) return;
    float* dv = m_.docs_.data() + size_t{d} * dim_;
    if (p_.dm) {
      train_dm(dv, alpha);
      return;
    }
    if (p_.dbow_words) train_skipgram(alpha);
    for (uint32_t w : kept_) predict(dv, w, alpha, dv);
  }

  // `in` predicts word w; its gradient is added to `target`.
  void predict(const float* in, uint32_t w, float alpha, float* target) {
    int n = sampler_.draw_rows(w, rng_, rows_.data());
    train_step(in, out_.data(), rows_.data(), n, dim_, alpha, grad_.data());
    add_to(grad_.data(), target, dim_);
  }

  // Skip-gram over the doc's kept words (gensim's dbow_words): each context word predicts
  // the centre word.
  void train_skipgram(float alpha) {
    size_t n = kept_.size();
    for (size_t i = 0; i < n; ++i) {
      auto [lo, hi] = context_range(i, n, p_.window, rng_);
      for (size_t j = lo; j < hi; ++j) {
        if (j == i) continue;
        float* in = words_in_.data() + size_t{kept_[j]} * dim_;
        predict(in, kept_[i], alpha, in);
      }
    }
  }

  // PV-DM: the mean of doc and context vectors predicts the centre word; the gradient goes
  // to the doc vector and to every context word vector (as word2vec's CBOW).
  void train_dm(float* dv, float alpha) {
    size_t n = kept_.size();
    for (size_t i = 0; i < n; ++i) {
      auto [lo, hi] = context_range(i, n, p_.window, rng_);
      dm_input(kept_, i, lo, hi, dv, words_in_.data(), dim_, mean_.data());
      int rows = sampler_.draw_rows(kept_[i], rng_, rows_.data());
      train_step(mean_.data(), out_.data(), rows_.data(), rows, dim_, alpha, grad_.data());
      add_to(grad_.data(), dv, dim_);
      for (size_t j = lo; j < hi; ++j)
        if (j != i) add_to(grad_.data(), words_in_.data() + size_t{kept_[j]} * dim_, dim_);
    }
  }

  // Normalised doc vectors (zero for docs without a vocabulary word, as infer() gives for
  // such a text); the model keeps what inference reads.
  void finish() {
    for (size_t d = 0; d < m_.doc_count_; ++d) {
      std::span<float> v(m_.docs_.data() + d * dim_, dim_);
      if (doc_ids(d).empty()) std::fill(v.begin(), v.end(), 0.f);
      normalize(v);
    }
    m_.out_.resize(out_.size());
    std::transform(out_.begin(), out_.end(), m_.out_.begin(), to_bfloat16);
    if (p_.dm) m_.words_in_ = std::move(words_in_);
  }

  Doc2Vec& m_;
  const Doc2VecParams& p_;
  size_t dim_;
  Rng rng_;
  Sampler sampler_;
  std::vector<uint32_t> ids_;
  std::vector<size_t> doc_start_;
  std::vector<float> out_;       // output weights while training, float
  std::vector<float> words_in_;  // word vectors (PV-DM, dbow_words)
  std::vector<uint32_t> kept_;
  std::vector<float> grad_, mean_;
  std::array<uint32_t, kMaxNegative + 1> rows_{};
};

StatusOr<Doc2Vec> Doc2Vec::train(const std::vector<std::vector<std::string>>& docs, const Doc2VecParams& params) {
  if (Status s = validate(params); !s.ok()) return s;
  if (docs.empty()) return Status::Invalid("doc2vec: no training texts");
  if (docs.size() > std::numeric_limits<uint32_t>::max()) return Status::Invalid("doc2vec: too many training texts");
  Doc2Vec m;
  m.params_ = params;
  Trainer trainer(m, docs);
  if (Status s = trainer.run(); !s.ok()) return s;
  return m;
}

std::span<const float> Doc2Vec::doc_vector(size_t i) const {
  if (i >= doc_count_) return {};
  auto dim = static_cast<size_t>(params_.dimensions);
  return {docs_.data() + i * dim, dim};
}

// ---------------------------------------------------------------- inference
// The training passes with the word side frozen: only the new doc vector moves, its
// learning rate decaying linearly from infer_alpha to min_alpha over infer_epochs passes.
std::vector<float> Doc2Vec::infer(const std::vector<std::string>& tokens) const {
  auto dim = static_cast<size_t>(params_.dimensions);
  std::vector<float> dv(dim, 0.f);
  std::vector<uint32_t> ids;
  ids.reserve(tokens.size());
  std::string text;
  for (const auto& t : tokens) {
    if (auto it = index_.find(t); it != index_.end()) ids.push_back(it->second);
    text += t;
    text += ' ';
  }
  if (ids.empty()) return dv;

  Rng rng(stable_hash64(text, params_.seed));
  random_init(dv, rng, dim);
  Sampler sampler{keep_below_, alias_threshold_, alias_other_, params_.negative};
  std::vector<float> mean(params_.dm ? dim : 0);
  std::vector<uint32_t> kept;
  std::array<uint32_t, kMaxNegative + 1> rows{};
  int epochs = params_.infer_epochs;
  for (int e = 0; e < epochs; ++e) {
    double progress = epochs > 1 ? static_cast<double>(e) / (epochs - 1) : 0.0;
    float alpha = decayed(params_.infer_alpha, params_.min_alpha, progress);
    sampler.subsample(ids, rng, kept);
    for (size_t i = 0; i < kept.size(); ++i) {
      const float* in = dv.data();
      if (params_.dm) {
        auto [lo, hi] = context_range(i, kept.size(), params_.window, rng);
        dm_input(kept, i, lo, hi, dv.data(), words_in_.data(), dim, mean.data());
        in = mean.data();
      }
      int n = sampler.draw_rows(kept[i], rng, rows.data());
      infer_step(in, out_.data(), rows.data(), n, dim, alpha, dv.data());
    }
  }
  normalize(dv);
  return dv;
}

// ---------------------------------------------------------------- serialization
// Layout: ByteWriter header, params, vocabulary, counts, output weights (bfloat16), PV-DM
// word vectors, then a stable_hash64 of all the bytes before it (a flipped bit anywhere in the
// weights would otherwise load silently).
std::string Doc2Vec::serialize() const {
  ByteWriter w(kMagic, kFormatVersion);
  w.put<int32_t>(params_.dimensions);
  w.put<int32_t>(params_.epochs);
  w.put<int32_t>(params_.negative);
  w.put<int32_t>(params_.window);
  w.put<int32_t>(params_.min_count);
  w.put<double>(params_.alpha);
  w.put<double>(params_.min_alpha);
  w.put<double>(params_.sample);
  w.put<uint8_t>(params_.dm ? 1 : 0);
  w.put<uint8_t>(params_.dbow_words ? 1 : 0);
  w.put<int32_t>(params_.infer_epochs);
  w.put<double>(params_.infer_alpha);
  w.put<uint64_t>(params_.seed);
  w.put<uint64_t>(words_.size());
  for (const auto& word : words_) w.put_string(word);
  w.put_vector(counts_);
  w.put_vector(out_);
  // Only PV-DM has word vectors; an empty vector is not written at all (ByteReader would
  // memcpy into the null data() of an empty vector, which UBSan reports).
  if (params_.dm) w.put_vector(words_in_);
  return with_checksum(std::move(w).take());
}

StatusOr<Doc2Vec> Doc2Vec::deserialize(std::string_view blob) {
  ByteReader magic_check(blob, kMagic, kFormatVersion, kFormatVersion);
  if (!magic_check.ok()) return magic_check.status();
  auto body = checked_body(blob, kMagic);
  if (!body.ok()) return body.status();
  ByteReader r(*body, kMagic, kFormatVersion, kFormatVersion);

  Doc2Vec m;
  auto& p = m.params_;
  p.dimensions = r.get<int32_t>();
  p.epochs = r.get<int32_t>();
  p.negative = r.get<int32_t>();
  p.window = r.get<int32_t>();
  p.min_count = r.get<int32_t>();
  p.alpha = r.get<double>();
  p.min_alpha = r.get<double>();
  p.sample = r.get<double>();
  p.dm = r.get<uint8_t>() != 0;
  p.dbow_words = r.get<uint8_t>() != 0;
  p.infer_epochs = r.get<int32_t>();
  p.infer_alpha = r.get<double>();
  p.seed = r.get<uint64_t>();
  if (!r.ok()) return r.status();
  if (Status s = validate(p); !s.ok()) return Status::Invalid("AL-DOC2VEC blob: " + s.message());

  // Every word takes at least its 8-byte length, which bounds a hostile count.
  uint64_t n_words = r.get<uint64_t>();
  if (r.ok() && (n_words == 0 || n_words > r.remaining() / 8)) r.fail("bad vocabulary size " + std::to_string(n_words));
  for (uint64_t i = 0; r.ok() && i < n_words; ++i) m.words_.push_back(r.get_string());
  m.counts_ = r.get_vector<uint64_t>();
  m.out_ = r.get_vector<uint16_t>();
  if (p.dm) m.words_in_ = r.get_vector<float>();
  if (Status s = r.finish(); !s.ok()) return s;

  auto dim = static_cast<size_t>(p.dimensions);
  if (m.counts_.size() != n_words || m.out_.size() != n_words * dim ||
      m.words_in_.size() != (p.dm ? n_words * dim : 0)) {
    return Status::Invalid("AL-DOC2VEC blob: table sizes do not match the vocabulary");
  }
  if (std::any_of(m.counts_.begin(), m.counts_.end(), [](uint64_t c) { return c == 0; }))
    return Status::Invalid("AL-DOC2VEC blob: zero word count");
  m.build_tables();
  if (m.index_.size() != n_words) return Status::Invalid("AL-DOC2VEC blob: duplicate vocabulary words");
  return m;
}

}  // namespace agentlearn::ml
