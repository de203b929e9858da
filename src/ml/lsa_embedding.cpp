#include "ml/lsa_embedding.hpp"

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <algorithm>
#include <cmath>
#include <numbers>

#include "ml/byte_io.hpp"
#include "ml/splitmix64.hpp"

namespace agentlearn::ml {

namespace {

constexpr std::string_view kMagic = "AL-LSA";
constexpr uint32_t kFormatVersion = 1;

using SparseRows = Eigen::SparseMatrix<double, Eigen::RowMajor>;

// An orthonormal basis of the columns of `m` (thin Q of its QR decomposition).
Eigen::MatrixXd orthonormal_basis(const Eigen::MatrixXd& m) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(m);
  return qr.householderQ() * Eigen::MatrixXd::Identity(m.rows(), m.cols());
}

// Standard normal draws by Box-Muller from SplitMix64 (the same numbers on every platform).
Eigen::MatrixXd gaussian(Eigen::Index rows, Eigen::Index cols, uint64_t seed) {
  SplitMix64 rng(seed);
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) {
      double u1 = 1.0 - rng.unit_double();  // (0, 1]: log is finite
      double u2 = rng.unit_double();
      m(i, j) = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    }
  }
  return m;
}

}  // namespace

Status validate(const LsaParams& p) {
  if (p.dimensions < 1 || p.dimensions > 4096) return Status::Invalid("dimensions must be in [1, 4096]", "dimensions");
  if (p.max_features < 1) return Status::Invalid("max_features must be at least 1", "max_features");
  if (p.min_df < 1) return Status::Invalid("min_df must be at least 1", "min_df");
  if (p.power_iterations < 0 || p.power_iterations > 20) {
    return Status::Invalid("power_iterations must be in [0, 20]", "power_iterations");
  }
  if (p.oversample < 0 || p.oversample > 1000) return Status::Invalid("oversample must be in [0, 1000]", "oversample");
  if (p.common_components < 0 || p.common_components > 16) {
    return Status::Invalid("common_components must be in [0, 16]", "common_components");
  }
  return Status::Ok();
}

StatusOr<LsaEmbedding> LsaEmbedding::fit(std::span<const std::string> texts, const LsaParams& params) {
  if (auto s = validate(params); !s.ok()) return s;
  auto vectorizer = TextVectorizer::fit(texts, {params.max_features, params.min_df, params.bigrams});
  if (!vectorizer.ok()) return vectorizer.status();

  LsaEmbedding e;
  e.params_ = params;
  e.vectorizer_ = std::move(*vectorizer);

  // X: one unit TF-IDF row per text.
  const auto n = static_cast<Eigen::Index>(texts.size());
  const auto m = static_cast<Eigen::Index>(e.vectorizer_.num_features());
  std::vector<Eigen::Triplet<double>> entries;
  for (Eigen::Index i = 0; i < n; ++i) {
    SparseVector row = e.vectorizer_.transform(texts[static_cast<size_t>(i)]);
    for (size_t k = 0; k < row.index.size(); ++k) entries.emplace_back(i, row.index[k], row.value[k]);
  }
  SparseRows x(n, m);
  x.setFromTriplets(entries.begin(), entries.end());
  entries = {};

  // Range finder on X's column space (n x width), orthonormalised after every product with
  // X Xᵀ. Only n-side matrices are made dense: X Xᵀ Y is two sparse products, so the
  // vocabulary's size costs no dense algebra.
  const int wanted = params.dimensions + params.common_components;
  const Eigen::Index width = std::min<Eigen::Index>({wanted + params.oversample, n, m});
  Eigen::MatrixXd y = orthonormal_basis(gaussian(n, width, params.seed));
  Eigen::MatrixXd xty(m, width), xxty(n, width);  // reused: fresh large buffers fault in pages
  for (int it = 0; it <= params.power_iterations; ++it) {
    xty.noalias() = x.transpose() * y;
    xxty.noalias() = x * xty;
    y = orthonormal_basis(xxty);
  }
  // B = Yᵀ X is width x m; B Bᵀ = Yᵀ X Xᵀ Y = U S² Uᵀ gives X's top singular values, and its
  // right singular vectors V = Bᵀ U S⁻¹ = Xᵀ (Y U S⁻¹).
  xty.noalias() = x.transpose() * y;
  xxty.noalias() = x * xty;
  Eigen::MatrixXd gram = y.transpose() * xxty;
  gram = (gram + gram.transpose()) / 2;  // exactly symmetric for the solver
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
  const Eigen::VectorXd& values = eig.eigenvalues();  // ascending
  const double largest = values.size() > 0 ? values(values.size() - 1) : 0;
  std::vector<Eigen::Index> kept;
  for (Eigen::Index j = values.size() - 1; j >= 0 && static_cast<int>(kept.size()) < wanted; --j) {
    if (values(j) <= largest * 1e-10 || values(j) <= 0) break;
    kept.push_back(j);
  }
  if (static_cast<int>(kept.size()) <= params.common_components) {
    return Status::Invalid("the texts' TF-IDF matrix has rank " + std::to_string(kept.size()) +
                               ", too low for an embedding",
                           "texts");
  }
  kept.erase(kept.begin(), kept.begin() + params.common_components);

  e.components_ = static_cast<int>(kept.size());
  const auto c = static_cast<Eigen::Index>(kept.size());
  Eigen::MatrixXd left(n, c);  // Y U S⁻¹
  for (Eigen::Index k = 0; k < c; ++k) {
    const double sigma = std::sqrt(values(kept[static_cast<size_t>(k)]));
    left.col(k) = y * eig.eigenvectors().col(kept[static_cast<size_t>(k)]) / sigma;
    e.singular_values_.push_back(static_cast<float>(sigma));
  }
  Eigen::MatrixXd v = x.transpose() * left;  // m x c
  for (Eigen::Index k = 0; k < c; ++k) {
    v.col(k).normalize();
    Eigen::Index at;
    v.col(k).cwiseAbs().maxCoeff(&at);
    if (v(at, k) < 0) v.col(k) = -v.col(k);
  }
  e.projection_.resize(static_cast<size_t>(m * c));
  for (Eigen::Index f = 0; f < m; ++f) {
    for (Eigen::Index k = 0; k < c; ++k) e.projection_[static_cast<size_t>(f * c + k)] = static_cast<float>(v(f, k));
  }
  return e;
}

std::vector<float> LsaEmbedding::embed(std::string_view text) const {
  std::vector<float> out(static_cast<size_t>(params_.dimensions), 0.f);
  SparseVector x = vectorizer_.transform(text);
  const auto c = static_cast<size_t>(components_);
  for (size_t k = 0; k < x.index.size(); ++k) {
    const float w = x.value[k];
    const float* row = projection_.data() + static_cast<size_t>(x.index[k]) * c;
    for (size_t j = 0; j < c; ++j) out[j] += w * row[j];
  }
  double norm2 = 0;
  for (float v : out) norm2 += static_cast<double>(v) * v;
  if (norm2 > 0) {
    auto scale = static_cast<float>(1.0 / std::sqrt(norm2));
    for (float& v : out) v *= scale;
  }
  return out;
}

// Layout: ByteWriter header, params, the vectorizer, singular values, projection, then a
// stable_hash64 of the bytes before it (a flipped bit in a weight would otherwise load).
std::string LsaEmbedding::serialize() const {
  ByteWriter w(kMagic, kFormatVersion);
  w.put<int32_t>(params_.dimensions);
  w.put<int32_t>(params_.max_features);
  w.put<int32_t>(params_.min_df);
  w.put<uint8_t>(params_.bigrams ? 1 : 0);
  w.put<int32_t>(params_.power_iterations);
  w.put<int32_t>(params_.oversample);
  w.put<int32_t>(params_.common_components);
  w.put<uint64_t>(params_.seed);
  vectorizer_.write(w);
  w.put<int32_t>(components_);
  w.put_vector(singular_values_);
  w.put_vector(projection_);
  return with_checksum(std::move(w).take());
}

StatusOr<LsaEmbedding> LsaEmbedding::deserialize(std::string_view blob) {
  ByteReader magic_check(blob, kMagic, kFormatVersion, kFormatVersion);
  if (!magic_check.ok()) return magic_check.status();
  auto body = checked_body(blob, kMagic);
  if (!body.ok()) return body.status();
  ByteReader r(*body, kMagic, kFormatVersion, kFormatVersion);

  LsaEmbedding e;
  auto& p = e.params_;
  p.dimensions = r.get<int32_t>();
  p.max_features = r.get<int32_t>();
  p.min_df = r.get<int32_t>();
  p.bigrams = r.get<uint8_t>() != 0;
  p.power_iterations = r.get<int32_t>();
  p.oversample = r.get<int32_t>();
  p.common_components = r.get<int32_t>();
  p.seed = r.get<uint64_t>();
  if (!r.ok()) return r.status();
  if (Status s = validate(p); !s.ok()) return Status::Invalid("AL-LSA blob: " + s.message());
  auto vectorizer = TextVectorizer::read(r);
  if (!vectorizer.ok()) return vectorizer.status();
  e.vectorizer_ = std::move(*vectorizer);
  e.components_ = r.get<int32_t>();
  e.singular_values_ = r.get_vector<float>();
  e.projection_ = r.get_vector<float>();
  if (Status s = r.finish(); !s.ok()) return s;
  if (e.components_ < 1 || e.components_ > p.dimensions ||
      e.singular_values_.size() != static_cast<size_t>(e.components_) ||
      e.projection_.size() != e.vectorizer_.num_features() * static_cast<size_t>(e.components_)) {
    return Status::Invalid("AL-LSA blob: table sizes do not match the vocabulary and components");
  }
  if (!std::all_of(e.projection_.begin(), e.projection_.end(), [](float x) { return std::isfinite(x); })) {
    return Status::Invalid("AL-LSA blob: non-finite projection weight");
  }
  return e;
}

}  // namespace agentlearn::ml
