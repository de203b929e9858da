#include "ml/task_classifier.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

namespace agentlearn::ml {
namespace {

// Task texts on three topics: each draws words from its topic and from words all share.
struct Corpus {
  std::vector<std::string> texts;
  std::vector<std::string> labels;
};

Corpus make_corpus(int n, uint64_t seed) {
  static const std::vector<std::vector<std::string>> kTopics = {
      {"sql", "query", "index", "table", "join", "postgres", "schema", "migration", "transaction", "column"},
      {"css", "button", "layout", "react", "component", "render", "browser", "dom", "style", "modal"},
      {"kubernetes", "docker", "deploy", "cluster", "node", "terraform", "scaling", "helm", "pod", "ingress"}};
  static const std::vector<std::string> kNames = {"database", "frontend", "infra"};
  static const std::vector<std::string> kShared = {"fix", "the", "bug", "in", "add", "update", "slow", "broken"};
  Corpus c;
  uint64_t s = seed;
  auto next = [&](uint64_t n) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (s >> 33) % n;
  };
  for (int i = 0; i < n; ++i) {
    size_t topic = next(3);
    std::string text;
    for (int w = 0; w < 8; ++w) {
      const auto& pool = next(2) ? kTopics[topic] : kShared;
      text += pool[next(pool.size())] + " ";
    }
    c.texts.push_back(text);
    c.labels.push_back(kNames[topic]);
  }
  return c;
}

// Small and quick: the corpus has ~40 words.
TaskClassifierParams small_params() {
  TaskClassifierParams p;
  p.hidden_units = 16;
  p.learning_rate = 0.01;
  p.batch_size = 32;
  return p;
}

TaskClassifier train_or_die(const Corpus& c, const TaskClassifierParams& p) {
  auto m = TaskClassifier::train(c.texts, c.labels, p);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(m).value();
}

TEST(TaskClassifier, LearnsThreeTopics) {
  auto train = make_corpus(150, 1), test = make_corpus(90, 2);
  auto m = train_or_die(train, small_params());
  EXPECT_EQ(m.labels(), (std::vector<std::string>{"database", "frontend", "infra"}));
  size_t correct = 0;
  for (size_t i = 0; i < test.texts.size(); ++i) correct += m.predict(test.texts[i]).label == test.labels[i];
  EXPECT_GT(static_cast<double>(correct) / static_cast<double>(test.texts.size()), 0.95);

  auto p = m.predict("the postgres query is slow, add an index");
  EXPECT_EQ(p.label, "database");
  EXPECT_GT(p.probability, 0.5);
  EXPECT_EQ(m.predict("React button renders off the modal").label, "frontend");

  const auto& s = m.summary();
  EXPECT_GT(s.epochs_run, 0);
  EXPECT_GE(s.epochs_run, s.best_epoch);
  EXPECT_EQ(s.refit_epochs, s.best_epoch);
  EXPECT_EQ(s.training_samples, 150u);  // the refit saw every text
  EXPECT_GT(s.validation_samples, 0u);
  EXPECT_GT(s.best_validation_accuracy, 0.8);
  EXPECT_EQ(s.vocabulary_size, m.vectorizer().num_features());
}

TEST(TaskClassifier, EmptyAndUnknownTextsGetADistribution) {
  auto m = train_or_die(make_corpus(150, 1), small_params());
  for (std::string_view text : {"", "zzz qqq xyzzy", "!!!"}) {
    auto probs = m.predict_proba(text);
    ASSERT_EQ(probs.size(), 3u);
    double sum = 0;
    for (double v : probs) {
      EXPECT_TRUE(std::isfinite(v));
      sum += v;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_EQ(probs, m.predict_proba(""));  // no known word: the same as no text
  }
}

TEST(TaskClassifier, TrainingIsDeterministic) {
  auto c = make_corpus(150, 1);
  auto a = train_or_die(c, small_params()), b = train_or_die(c, small_params());
  EXPECT_EQ(a.serialize(), b.serialize());
  for (const auto& t : make_corpus(10, 3).texts) EXPECT_EQ(a.predict_proba(t), b.predict_proba(t));
}

TEST(TaskClassifier, ChangedParametersChangeTheModel) {
  auto c = make_corpus(150, 1);
  auto base = train_or_die(c, small_params());
  auto p = small_params();
  p.hidden_units = 24;
  auto wider = train_or_die(c, p);
  EXPECT_EQ(wider.network().hidden(), (std::vector<int>{24}));
  EXPECT_NE(base.predict_proba("slow query"), wider.predict_proba("slow query"));
  p = small_params();
  p.seed = 7;
  EXPECT_NE(base.predict_proba("slow query"), train_or_die(c, p).predict_proba("slow query"));
  p = small_params();
  p.max_features = 10;
  EXPECT_EQ(train_or_die(c, p).vectorizer().num_features(), 10u);
}

TEST(TaskClassifier, RoundTripsThroughSerialization) {
  auto m = train_or_die(make_corpus(150, 1), small_params());
  std::string blob = m.serialize();
  auto back = TaskClassifier::deserialize(blob);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->labels(), m.labels());
  EXPECT_EQ(back->summary().epochs_run, m.summary().epochs_run);
  EXPECT_EQ(back->summary().best_validation_accuracy, m.summary().best_validation_accuracy);
  for (const auto& t : make_corpus(20, 4).texts) EXPECT_EQ(back->predict_proba(t), m.predict_proba(t));
  EXPECT_EQ(back->serialize(), blob);
}

TEST(TaskClassifier, RefusesCorruptOrTruncatedBlobs) {
  auto m = train_or_die(make_corpus(150, 1), small_params());
  std::string blob = m.serialize();
  EXPECT_FALSE(TaskClassifier::deserialize("").ok());
  EXPECT_FALSE(TaskClassifier::deserialize("not a model").ok());
  for (size_t cut = 0; cut < blob.size(); cut += 1 + cut / 4) {
    auto r = TaskClassifier::deserialize(std::string_view(blob).substr(0, cut));
    ASSERT_FALSE(r.ok()) << "accepted a blob cut to " << cut << " of " << blob.size() << " bytes";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(TaskClassifier::deserialize(blob + "x").ok());
  // A flipped bit in a weight (near the end, inside the MLP's parameters).
  std::string flipped = blob;
  flipped[blob.size() - 20] ^= 0x10;
  auto r = TaskClassifier::deserialize(flipped);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos);
}

TEST(TaskClassifier, DegenerateInputGivesClearErrors) {
  auto c = make_corpus(30, 1);
  auto expect_invalid = [](const StatusOr<TaskClassifier>& r, std::string_view words) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  };
  expect_invalid(TaskClassifier::train({}, {}, {}), "no texts");
  expect_invalid(TaskClassifier::train(c.texts, std::span(c.labels).first(29), {}), "30 texts but 29 labels");
  std::vector<std::string> one(c.texts.size(), "database");
  expect_invalid(TaskClassifier::train(c.texts, one, {}), "at least 2 distinct labels");
  std::vector<std::string> blank = c.labels;
  blank[3] = "";
  expect_invalid(TaskClassifier::train(c.texts, blank, {}), "must not be empty");
  std::vector<std::string> unique_words = {"alpha", "beta", "gamma", "delta"};
  std::vector<std::string> two = {"a", "b", "a", "b"};
  expect_invalid(TaskClassifier::train(unique_words, two, {}), "min_df");
  TaskClassifierParams p;
  p.hidden_units = 0;
  expect_invalid(TaskClassifier::train(c.texts, c.labels, p), "hidden_units");
  p = {};
  p.learning_rate = -1;
  expect_invalid(TaskClassifier::train(c.texts, c.labels, p), "learning_rate");
  p = {};
  p.max_features = 0;
  expect_invalid(TaskClassifier::train(c.texts, c.labels, p), "max_features");
}

TEST(TaskClassifier, PredictsFromManyThreadsAtOnce) {
  auto m = train_or_die(make_corpus(150, 1), small_params());
  auto texts = make_corpus(50, 5).texts;
  std::vector<std::vector<double>> expected;
  for (const auto& t : texts) expected.push_back(m.predict_proba(t));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 20; ++rep) {
        for (size_t i = 0; i < texts.size(); ++i) mismatches[k] += m.predict_proba(texts[i]) != expected[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace agentlearn::ml
