#include "ml/lsa_embedding.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>

#include "ml/embedding_generator.hpp"
#include "ml/text_vectorizer.hpp"

namespace agentlearn::ml {
namespace {

// Texts of three topics with disjoint words plus filler every topic shares.
std::vector<std::string> topic_texts(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  static const char* kFiller[] = {"the", "issue", "is", "clear", "and", "fix"};
  std::vector<std::string> texts;
  for (int i = 0; i < n; ++i) {
    std::string t;
    for (int w = 0; w < 18; ++w) {
      if (w % 3 == 2) {
        t += kFiller[rng() % 6];
      } else {
        t += "t" + std::to_string(i % 3) + "w" + std::to_string(rng() % 20);
      }
      t += ' ';
    }
    texts.push_back(t);
  }
  return texts;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

LsaParams small(int dimensions, int common = 0) {
  LsaParams p;
  p.dimensions = dimensions;
  p.common_components = common;
  return p;
}

// The oracle: an exact SVD of the dense TF-IDF matrix. With the test matrix as wide as the
// matrix's rank the randomized SVD is exact, so the singular values and every training text's
// vector (its TF-IDF row on the right singular vectors, without the first `common`, unit
// length, up to each component's sign) must match.
TEST(LsaEmbedding, MatchesAnExactSvdOfTheTfidfMatrix) {
  auto texts = topic_texts(30, 1);
  for (int common : {0, 1}) {
    LsaParams p = small(6, common);
    p.oversample = 100;  // the test matrix spans all 30 texts: the range is exact
    auto lsa = LsaEmbedding::fit(texts, p);
    ASSERT_TRUE(lsa.ok()) << lsa.status().message();
    auto vec = TextVectorizer::fit(texts, {50000, 2, false});
    ASSERT_TRUE(vec.ok());
    Eigen::MatrixXd x = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(texts.size()),
                                              static_cast<Eigen::Index>(vec->num_features()));
    for (size_t i = 0; i < texts.size(); ++i) {
      auto row = vec->transform(texts[i]);
      for (size_t k = 0; k < row.index.size(); ++k) x(static_cast<Eigen::Index>(i), row.index[k]) = row.value[k];
    }
    Eigen::BDCSVD<Eigen::MatrixXd> svd(x, Eigen::ComputeThinV);
    ASSERT_EQ(lsa->components(), 6);
    for (int k = 0; k < 6; ++k) {
      EXPECT_NEAR(lsa->singular_values()[static_cast<size_t>(k)], svd.singularValues()(k + common), 1e-4) << k;
    }
    for (size_t i = 0; i < texts.size(); ++i) {
      Eigen::VectorXd want = (x.row(static_cast<Eigen::Index>(i)) * svd.matrixV().middleCols(common, 6)).transpose();
      want.normalize();
      auto got = lsa->embed(texts[i]);
      ASSERT_EQ(got.size(), 6u);
      for (int k = 0; k < 6; ++k) {
        EXPECT_NEAR(std::abs(got[static_cast<size_t>(k)]), std::abs(want(k)), 2e-4) << "text " << i << " comp " << k;
      }
    }
  }
}

TEST(LsaEmbedding, NearestNeighboursShareTheTopicAndStrangersAreFarApart) {
  auto texts = topic_texts(90, 2);
  auto lsa = LsaEmbedding::fit(texts, small(16, 1));
  ASSERT_TRUE(lsa.ok());
  std::vector<std::vector<float>> v;
  for (const auto& t : texts) v.push_back(lsa->embed(t));
  int right = 0;
  double across = 0, within = 0;
  int across_n = 0, within_n = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    size_t best = i == 0 ? 1 : 0;
    for (size_t j = 0; j < v.size(); ++j) {
      if (j != i && dot(v[i], v[j]) > dot(v[i], v[best])) best = j;
      if (j % 3 != i % 3) across += dot(v[i], v[j]), ++across_n;
      if (j != i && j % 3 == i % 3) within += dot(v[i], v[j]), ++within_n;
    }
    right += best % 3 == i % 3;
  }
  EXPECT_EQ(right, 90);
  // The shared filler went with the first component: texts of different topics point away
  // from each other, texts of one topic together.
  EXPECT_LT(across / across_n, 0.0);
  EXPECT_GT(within / within_n, 0.3);
}

TEST(LsaEmbedding, VectorsAreUnitLengthPaddedToTheWidthAndZeroForUnknownText) {
  auto texts = topic_texts(12, 3);
  auto lsa = LsaEmbedding::fit(texts, small(256, 1));
  ASSERT_TRUE(lsa.ok());
  EXPECT_EQ(lsa->dimensions(), 256);
  EXPECT_LE(lsa->components(), 11);  // 12 texts span at most 12 components, one left out
  auto v = lsa->embed(texts[0]);
  ASSERT_EQ(v.size(), 256u);
  EXPECT_NEAR(dot(v, v), 1.0, 1e-5);
  for (size_t k = static_cast<size_t>(lsa->components()); k < v.size(); ++k) EXPECT_EQ(v[k], 0.f);
  for (const char* text : {"", "translate the marketing brochure", "zzz qqq"}) {
    auto z = lsa->embed(text);
    ASSERT_EQ(z.size(), 256u);
    if (std::string(text).find("the") == std::string::npos) {
      EXPECT_EQ(dot(z, z), 0.0) << text;
    }
  }
}

TEST(LsaEmbedding, DeterministicAndRoundTripsExactly) {
  auto texts = topic_texts(40, 4);
  auto a = LsaEmbedding::fit(texts, small(8, 1));
  auto b = LsaEmbedding::fit(texts, small(8, 1));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->serialize(), b->serialize());
  auto c = LsaEmbedding::deserialize(a->serialize());
  ASSERT_TRUE(c.ok()) << c.status().message();
  for (const auto& t : texts) EXPECT_EQ(a->embed(t), c->embed(t));
  EXPECT_EQ(c->params().common_components, 1);
}

TEST(LsaEmbedding, RefusesBadParametersCorruptBlobsAndPoorTexts) {
  auto texts = topic_texts(20, 5);
  for (auto [field, p] : std::vector<std::pair<std::string, LsaParams>>{
           {"dimensions", small(0)},
           {"power_iterations", [] { auto p = small(4); p.power_iterations = -1; return p; }()},
           {"oversample", [] { auto p = small(4); p.oversample = -2; return p; }()},
           {"common_components", small(4, 17)},
           {"min_df", [] { auto p = small(4); p.min_df = 0; return p; }()}}) {
    auto r = LsaEmbedding::fit(texts, p);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.status().field(), field);
  }
  EXPECT_FALSE(LsaEmbedding::fit(std::vector<std::string>{}, small(4)).ok());
  // Every word in one text only: nothing reaches min_df.
  EXPECT_FALSE(LsaEmbedding::fit(std::vector<std::string>{"alpha beta", "gamma delta"}, small(4)).ok());
  // One distinct text: rank 1, nothing left after the common component.
  EXPECT_FALSE(LsaEmbedding::fit(std::vector<std::string>{"same words", "same words"}, small(4, 1)).ok());

  auto lsa = LsaEmbedding::fit(texts, small(4));
  ASSERT_TRUE(lsa.ok());
  std::string blob = lsa->serialize();
  std::string flipped = blob;
  flipped[blob.size() / 2] ^= 0x10;
  EXPECT_FALSE(LsaEmbedding::deserialize(flipped).ok());
  EXPECT_FALSE(LsaEmbedding::deserialize(blob.substr(0, blob.size() - 9)).ok());
  EXPECT_FALSE(LsaEmbedding::deserialize("").ok());
  EXPECT_FALSE(LsaEmbedding::deserialize("not a blob at all, not at all").ok());
}

TEST(EmbeddingGenerator, TrainsEitherMethodAndLoadsEitherBlob) {
  auto texts = topic_texts(30, 6);
  EmbeddingParams p;
  p.dimensions = 8;
  p.doc2vec.epochs = 5;
  for (const char* method : {"lsa", "doc2vec"}) {
    p.method = method;
    auto g = EmbeddingGenerator::train(texts, p);
    ASSERT_TRUE(g.ok()) << method << ": " << g.status().message();
    EXPECT_EQ(g->method(), method);
    EXPECT_EQ(g->dimensions(), 8);
    auto back = EmbeddingGenerator::deserialize(g->serialize());
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->method(), method);
    EXPECT_EQ(back->embed(texts[3]), g->embed(texts[3]));
    EXPECT_EQ(back->description(), g->description());
  }
  p.method = "word2vec";
  auto bad = EmbeddingGenerator::train(texts, p);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "method");
  auto lsa_blob = [&] {
    p.method = "lsa";
    return EmbeddingGenerator::train(texts, p)->serialize();
  }();
  lsa_blob[lsa_blob.size() - 1] ^= 1;
  auto refused = EmbeddingGenerator::deserialize(lsa_blob);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("AL-LSA"), std::string::npos) << refused.status().message();
}

}  // namespace
}  // namespace agentlearn::ml
