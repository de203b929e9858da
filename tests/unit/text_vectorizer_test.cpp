#include "ml/text_vectorizer.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace agentlearn::ml {
namespace {

// Three texts: "apple" in all three, "banana" in two, everything else in one.
const std::vector<std::string> kCorpus = {"Apple banana", "apple, cherry", "banana apple apple"};

TextVectorizer fit_or_die(const std::vector<std::string>& texts, TextVectorizerParams p) {
  auto v = TextVectorizer::fit(texts, p);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return std::move(v).value();
}

TEST(TextVectorizer, VocabularyHoldsWordsAndBigramsInAlphabeticalOrder) {
  auto v = fit_or_die(kCorpus, {.max_features = 100, .min_df = 1});
  EXPECT_EQ(v.terms(), (std::vector<std::string>{"apple", "apple apple", "apple banana", "apple cherry", "banana",
                                                 "banana apple", "cherry"}));
  EXPECT_EQ(v.find("banana apple"), 5);
  EXPECT_EQ(v.find("apple banana"), 2);  // bigrams keep their word order
  EXPECT_EQ(v.find("durian"), -1);

  auto words_only = fit_or_die(kCorpus, {.max_features = 100, .min_df = 1, .bigrams = false});
  EXPECT_EQ(words_only.terms(), (std::vector<std::string>{"apple", "banana", "cherry"}));
}

TEST(TextVectorizer, IdfIsSmoothed) {
  auto v = fit_or_die(kCorpus, {.max_features = 100, .min_df = 1});
  // idf = ln((1 + n) / (1 + df)) + 1 with n = 3.
  EXPECT_FLOAT_EQ(v.idf()[v.find("apple")], 1.0f);  // in every text
  EXPECT_FLOAT_EQ(v.idf()[v.find("banana")], static_cast<float>(std::log(4.0 / 3.0) + 1.0));
  EXPECT_FLOAT_EQ(v.idf()[v.find("cherry")], static_cast<float>(std::log(2.0) + 1.0));
}

TEST(TextVectorizer, RowsAreSublinearTfIdfWithUnitNorm) {
  auto v = fit_or_die(kCorpus, {.max_features = 100, .min_df = 1});
  auto row = v.transform("banana apple apple");
  // apple: tf 2, idf 1; banana: tf 1, idf ln(4/3)+1; "banana apple", "apple apple": tf 1, idf ln2+1.
  const double apple = 1.0 + std::log(2.0), banana = std::log(4.0 / 3.0) + 1.0, rare = std::log(2.0) + 1.0;
  const double norm = std::sqrt(apple * apple + banana * banana + 2 * rare * rare);
  ASSERT_EQ(row.index, (std::vector<int32_t>{0, 1, 4, 5}));  // apple, apple apple, banana, banana apple
  EXPECT_NEAR(row.value[0], apple / norm, 1e-6);
  EXPECT_NEAR(row.value[1], rare / norm, 1e-6);
  EXPECT_NEAR(row.value[2], banana / norm, 1e-6);
  EXPECT_NEAR(row.value[3], rare / norm, 1e-6);
  EXPECT_NEAR(row.value[0], 0.52863, 1e-5);  // the same, as a number

  double sum2 = 0;
  for (float x : v.transform("cherry apple banana, banana").value) sum2 += x * x;
  EXPECT_NEAR(sum2, 1.0, 1e-6);
}

TEST(TextVectorizer, IgnoresUnknownWords) {
  auto v = fit_or_die(kCorpus, {.max_features = 100, .min_df = 1});
  auto row = v.transform("durian APPLE elderberry");
  ASSERT_EQ(row.index, (std::vector<int32_t>{0}));
  EXPECT_FLOAT_EQ(row.value[0], 1.0f);
  EXPECT_TRUE(v.transform("durian elderberry").index.empty());
  EXPECT_TRUE(v.transform("").index.empty());
  EXPECT_TRUE(v.transform("").value.empty());
}

TEST(TextVectorizer, MinDfAndMaxFeaturesAreHonoured) {
  auto v = fit_or_die(kCorpus, {.max_features = 100, .min_df = 2});
  EXPECT_EQ(v.terms(), (std::vector<std::string>{"apple", "banana"}));
  EXPECT_EQ(fit_or_die(kCorpus, {.max_features = 1, .min_df = 1}).terms(), (std::vector<std::string>{"apple"}));
  // Beyond the two frequent words every term has df 1: the tie goes alphabetically.
  EXPECT_EQ(fit_or_die(kCorpus, {.max_features = 3, .min_df = 1}).terms(),
            (std::vector<std::string>{"apple", "apple apple", "banana"}));
  EXPECT_EQ(fit_or_die(kCorpus, {.max_features = 5, .min_df = 1}).num_features(), 5u);
}

TEST(TextVectorizer, RefusesBadInput) {
  EXPECT_EQ(TextVectorizer::fit({}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(TextVectorizer::fit(kCorpus, {.max_features = 0}).ok());
  EXPECT_FALSE(TextVectorizer::fit(kCorpus, {.min_df = 0}).ok());
  auto none = TextVectorizer::fit(std::vector<std::string>{"alpha beta", "gamma delta", ""}, {.min_df = 2});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("min_df"), std::string::npos);
}

TEST(TextVectorizer, RoundTripsThroughBytesAndRefusesDisorder) {
  auto v = fit_or_die(kCorpus, {.max_features = 100, .min_df = 1});
  ByteWriter w("AL-TEST", 1);
  v.write(w);
  std::string blob = std::move(w).take();
  ByteReader r(blob, "AL-TEST", 1, 1);
  auto back = TextVectorizer::read(r);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(r.finish().ok());
  EXPECT_EQ(back->terms(), v.terms());
  EXPECT_EQ(back->idf(), v.idf());
  auto a = v.transform("banana apple cherry"), b = back->transform("banana apple cherry");
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.value, b.value);

  // Swap two terms of equal length in the blob: the vocabulary is no longer sorted.
  std::string bad = blob;
  auto pos = bad.find("banana apple");
  ASSERT_NE(pos, std::string::npos);
  bad.replace(pos, 12, "zzzzzzzzzzzz");
  ByteReader rb(bad, "AL-TEST", 1, 1);
  EXPECT_FALSE(TextVectorizer::read(rb).ok());
}

}  // namespace
}  // namespace agentlearn::ml
