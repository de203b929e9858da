#include "ml/doc2vec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

namespace agentlearn::ml {
namespace {

using Docs = std::vector<std::vector<std::string>>;

constexpr int kTopics = 3;

// A word of topic t: topics have disjoint vocabularies ("t0w5", "t1w5", ...).
std::string topic_word(int topic, int i) { return "t" + std::to_string(topic) + "w" + std::to_string(i); }

// `len` words drawn from one topic's 25 words, with shared filler words mixed in so that
// the topics are not separable by the filler alone.
std::vector<std::string> topic_text(int topic, int len, std::mt19937& rng) {
  static const std::vector<std::string> kFiller = {"the", "a", "and", "with", "for", "of"};
  std::vector<std::string> text;
  for (int i = 0; i < len; ++i) {
    if (i % 3 == 2) {
      text.push_back(kFiller[rng() % kFiller.size()]);
    } else {
      text.push_back(topic_word(topic, static_cast<int>(rng() % 25)));
    }
  }
  return text;
}

// Docs 0..n-1 of topic (i % kTopics).
Docs topic_corpus(int n, std::mt19937& rng) {
  Docs docs;
  for (int i = 0; i < n; ++i) docs.push_back(topic_text(i % kTopics, 24, rng));
  return docs;
}

Doc2VecParams small_params() {
  Doc2VecParams p;
  p.dimensions = 32;
  // Few updates on a tiny corpus leave every doc vector on the common direction (the
  // filler words): 15 epochs gave cosine 0.99 between topics, 60 give 0.3.
  p.epochs = 60;
  p.min_count = 1;
  p.sample = 0;  // the tiny corpus has no frequent words in word2vec's sense
  // The default passes suit ~60-word texts; these are 20 words, so fewer updates per pass.
  p.infer_epochs = 20;
  return p;
}

float cosine(std::span<const float> a, std::span<const float> b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
  }
  return static_cast<float>(ab / std::sqrt(aa * bb));
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

// Infers fresh texts of each topic and checks that they sit closer (mean cosine) to the
// training docs of their own topic than to any other topic's.
void expect_learns_topics(const Doc2VecParams& params, double margin) {
  std::mt19937 rng(7);
  Docs docs = topic_corpus(60, rng);
  auto model = Doc2Vec::train(docs, params);
  ASSERT_TRUE(model.ok()) << model.status().message();
  int correct = 0, total = 0;
  for (int topic = 0; topic < kTopics; ++topic) {
    for (int k = 0; k < 5; ++k) {
      std::vector<float> v = model->infer(topic_text(topic, 20, rng));
      std::vector<double> mean_sim(kTopics, 0.0);
      for (size_t d = 0; d < docs.size(); ++d) mean_sim[d % kTopics] += cosine(v, model->doc_vector(d));
      int best = static_cast<int>(std::max_element(mean_sim.begin(), mean_sim.end()) - mean_sim.begin());
      correct += best == topic;
      ++total;
      // The own topic clearly ahead, not by a rounding margin.
      double own = mean_sim[static_cast<size_t>(topic)] / (docs.size() / kTopics);
      double other = mean_sim[static_cast<size_t>((topic + 1) % kTopics)] / (docs.size() / kTopics);
      EXPECT_GT(own, other + margin) << "topic " << topic;
    }
  }
  EXPECT_EQ(correct, total);
}

TEST(Doc2Vec, PvDbowLearnsTopicsOfDisjointVocabularies) { expect_learns_topics(small_params(), 0.3); }

TEST(Doc2Vec, PvDbowWithWordTrainingLearnsTopics) {
  Doc2VecParams p = small_params();
  p.dbow_words = true;
  p.window = 2;
  p.epochs = 30;  // word training costs ~window times more per epoch
  expect_learns_topics(p, 0.3);
}

TEST(Doc2Vec, PvDmLearnsTopicsWithDimensionsNotAMultipleOfTheBlock) {
  Doc2VecParams p = small_params();
  p.dm = true;
  p.dimensions = 20;  // exercises the kernels' scalar tails
  // PV-DM leaves part of the signal in the word vectors: a smaller but clear margin.
  expect_learns_topics(p, 0.2);
}

TEST(Doc2Vec, ReportsShapeAndNormalisedVectors) {
  std::mt19937 rng(1);
  Docs docs = topic_corpus(12, rng);
  docs.push_back({"never", "seen"});  // below min_count: a doc without vocabulary
  Doc2VecParams p = small_params();
  p.min_count = 2;
  auto model = Doc2Vec::train(docs, p);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->dimensions(), 32);
  EXPECT_EQ(model->doc_count(), docs.size());
  EXPECT_GT(model->vocabulary_size(), 0u);
  EXPECT_LE(model->vocabulary_size(), static_cast<size_t>(kTopics * 25 + 6));
  for (size_t d = 0; d + 1 < docs.size(); ++d) {
    auto v = model->doc_vector(d);
    ASSERT_EQ(v.size(), 32u);
    double norm = 0;
    for (float x : v) norm += double{x} * x;
    EXPECT_NEAR(norm, 1.0, 1e-4);
  }
  for (float x : model->doc_vector(docs.size() - 1)) EXPECT_EQ(x, 0.f);
  EXPECT_TRUE(model->doc_vector(docs.size()).empty());
  std::vector<float> v = model->infer(docs[0]);
  double norm = 0;
  for (float x : v) norm += double{x} * x;
  EXPECT_NEAR(norm, 1.0, 1e-4);
}

TEST(Doc2Vec, TrainingIsDeterministicForASeed) {
  std::mt19937 rng(2);
  Docs docs = topic_corpus(30, rng);
  Doc2VecParams p = small_params();
  auto a = Doc2Vec::train(docs, p);
  auto b = Doc2Vec::train(docs, p);
  p.seed = 43;
  auto c = Doc2Vec::train(docs, p);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  bool all_same_c = true;
  for (size_t d = 0; d < docs.size(); ++d) {
    EXPECT_TRUE(same_bits(a->doc_vector(d), b->doc_vector(d))) << "doc " << d;
    all_same_c = all_same_c && same_bits(a->doc_vector(d), c->doc_vector(d));
  }
  EXPECT_FALSE(all_same_c) << "the seed has no effect";
  EXPECT_EQ(a->serialize(), b->serialize());
}

TEST(Doc2Vec, InferIsDeterministicAcrossCallsAndThreads) {
  std::mt19937 rng(3);
  Docs docs = topic_corpus(30, rng);
  auto model = Doc2Vec::train(docs, small_params());
  ASSERT_TRUE(model.ok());
  std::vector<std::string> text = topic_text(1, 15, rng);
  std::vector<float> first = model->infer(text);
  EXPECT_TRUE(same_bits(first, model->infer(text)));
  // Another text, even a permutation of the same words, gets another random start.
  std::vector<std::string> reversed(text.rbegin(), text.rend());
  EXPECT_FALSE(same_bits(first, model->infer(reversed)));

  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  const Doc2Vec& shared = *model;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 20; ++k) results[t] = shared.infer(text);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(same_bits(first, r));
}

TEST(Doc2Vec, SerializeRoundTripInfersIdentically) {
  std::mt19937 rng(4);
  for (bool dm : {false, true}) {
    Docs docs = topic_corpus(30, rng);
    Doc2VecParams p = small_params();
    p.dm = dm;
    p.infer_epochs = 9;
    auto model = Doc2Vec::train(docs, p);
    ASSERT_TRUE(model.ok());
    std::string blob = model->serialize();
    auto loaded = Doc2Vec::deserialize(blob);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(loaded->dimensions(), model->dimensions());
    EXPECT_EQ(loaded->vocabulary_size(), model->vocabulary_size());
    EXPECT_EQ(loaded->params().infer_epochs, 9);
    EXPECT_EQ(loaded->params().dm, dm);
    EXPECT_EQ(loaded->doc_count(), 0u);  // training doc vectors are not kept in the blob
    for (int k = 0; k < 5; ++k) {
      auto text = topic_text(k % kTopics, 12, rng);
      EXPECT_TRUE(same_bits(model->infer(text), loaded->infer(text))) << "dm=" << dm;
    }
    EXPECT_EQ(loaded->serialize(), blob);
  }
}

TEST(Doc2Vec, RefusesCorruptTruncatedAndForeignBlobs) {
  std::mt19937 rng(5);
  auto model = Doc2Vec::train(topic_corpus(15, rng), small_params());
  ASSERT_TRUE(model.ok());
  std::string blob = model->serialize();

  for (size_t cut : {size_t{0}, size_t{7}, size_t{30}, blob.size() / 2, blob.size() - 1}) {
    auto r = Doc2Vec::deserialize(std::string_view(blob).substr(0, cut));
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  std::string flipped = blob;
  flipped[flipped.size() * 3 / 4] ^= 0x10;  // inside the weights
  auto r = Doc2Vec::deserialize(flipped);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos) << r.status().message();

  EXPECT_FALSE(Doc2Vec::deserialize(blob + "x").ok());
  EXPECT_FALSE(Doc2Vec::deserialize(std::string(blob.size(), '\0')).ok());
  std::string foreign = blob;
  foreign[8] = 'X';  // first byte of the magic, after its 8-byte length
  auto f = Doc2Vec::deserialize(foreign);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("AL-DOC2VEC"), std::string::npos) << f.status().message();
}

TEST(Doc2Vec, RejectsEmptyInputsAndBadParameters) {
  auto empty = Doc2Vec::train({}, small_params());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);

  auto no_words = Doc2Vec::train({{}, {}}, small_params());
  ASSERT_FALSE(no_words.ok());
  EXPECT_EQ(no_words.status().field(), "min_count");

  Doc2VecParams rare = small_params();
  rare.min_count = 5;
  auto below = Doc2Vec::train({{"one", "two"}, {"two", "three"}}, rare);
  ASSERT_FALSE(below.ok());
  EXPECT_EQ(below.status().field(), "min_count");
  EXPECT_NE(below.status().message().find("min_count=5"), std::string::npos);

  Docs docs = {{"alpha", "beta"}, {"beta", "gamma"}};
  auto expect_bad = [&](const std::string& field, auto mutate) {
    Doc2VecParams p = small_params();
    mutate(p);
    auto r = Doc2Vec::train(docs, p);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().field(), field) << r.status().message();
  };
  expect_bad("dimensions", [](Doc2VecParams& p) { p.dimensions = 0; });
  expect_bad("dimensions", [](Doc2VecParams& p) { p.dimensions = 1 << 20; });
  expect_bad("epochs", [](Doc2VecParams& p) { p.epochs = 0; });
  expect_bad("negative", [](Doc2VecParams& p) { p.negative = 0; });
  expect_bad("negative", [](Doc2VecParams& p) { p.negative = 1000; });
  expect_bad("window", [](Doc2VecParams& p) { p.window = 0; });
  expect_bad("min_count", [](Doc2VecParams& p) { p.min_count = 0; });
  expect_bad("alpha", [](Doc2VecParams& p) { p.alpha = -0.1; });
  expect_bad("alpha", [](Doc2VecParams& p) { p.alpha = std::nan(""); });
  expect_bad("min_alpha", [](Doc2VecParams& p) { p.min_alpha = 0.5; });
  expect_bad("sample", [](Doc2VecParams& p) { p.sample = 1.5; });
  expect_bad("infer_epochs", [](Doc2VecParams& p) { p.infer_epochs = 0; });
  expect_bad("infer_alpha", [](Doc2VecParams& p) { p.infer_alpha = 2; });
}

TEST(Doc2Vec, EmptyOrUnknownTextGivesZeroVector) {
  std::mt19937 rng(6);
  auto model = Doc2Vec::train(topic_corpus(15, rng), small_params());
  ASSERT_TRUE(model.ok());
  for (const auto& text : {std::vector<std::string>{}, std::vector<std::string>{"unknown", "words", ""}}) {
    std::vector<float> v = model->infer(text);
    ASSERT_EQ(v.size(), 32u);
    for (float x : v) EXPECT_EQ(x, 0.f);
  }
  // Unknown words among known ones are ignored, and the result is finite.
  std::vector<float> v = model->infer({"unknown", topic_word(0, 1), "zzz", topic_word(0, 2)});
  double norm = 0;
  for (float x : v) {
    EXPECT_TRUE(std::isfinite(x));
    norm += double{x} * x;
  }
  EXPECT_NEAR(norm, 1.0, 1e-4);
}

}  // namespace
}  // namespace agentlearn::ml
