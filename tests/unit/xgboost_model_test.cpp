#include "ml/xgboost_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>

#include "ml/metrics.hpp"

namespace agentlearn::ml {
namespace {

// y = 1 when x0 + x1 > 1, x2 is noise.
void make_data(size_t n, uint64_t seed, DenseMatrix& x, std::vector<float>& y) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  x = DenseMatrix(n, 3);
  y.resize(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < 3; ++c) x.at(i, c) = u(rng);
    y[i] = x.at(i, 0) + x.at(i, 1) > 1 ? 1.f : 0.f;
  }
}

XgbParams forest_params(int trees) {
  XgbParams p;
  p.booster = {{"objective", "binary:logistic"}, {"num_parallel_tree", std::to_string(trees)},
               {"max_depth", "6"}, {"learning_rate", "1"}, {"subsample", "0.632"},
               {"colsample_bynode", "0.8"}, {"tree_method", "hist"}};
  p.rounds = 1;
  p.threads = 1;
  return p;
}

TEST(XgbModel, RandomForestModeLearnsASyntheticSignal) {
  DenseMatrix x, xt;
  std::vector<float> y, yt;
  make_data(2000, 1, x, y);
  make_data(500, 2, xt, yt);
  auto m = XgbModel::train(x, y, forest_params(20));
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto p = m->predict(xt);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->size(), 500u);
  std::vector<double> scores(p->begin(), p->end());
  std::unique_ptr<bool[]> labels(new bool[500]);
  for (size_t i = 0; i < 500; ++i) labels[i] = yt[i] > 0.5f;
  EXPECT_GT(roc_auc(scores, std::span<const bool>(labels.get(), 500)), 0.97);
  for (float v : *p) {
    EXPECT_GE(v, 0.f);
    EXPECT_LE(v, 1.f);
  }
}

TEST(XgbModel, RegressionSerializesAndPredictsIdentically) {
  DenseMatrix x;
  std::vector<float> y;
  make_data(1000, 3, x, y);
  for (size_t i = 0; i < y.size(); ++i) y[i] = 3 * x.at(i, 0) - x.at(i, 2);
  XgbParams p;
  p.booster = {{"objective", "reg:squarederror"}, {"max_depth", "3"}, {"learning_rate", "0.1"}};
  p.rounds = 50;
  auto m = XgbModel::train(x, y, p);
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto blob = m->serialize();
  auto back = XgbModel::deserialize(blob);
  ASSERT_TRUE(back.ok()) << back.status().message();
  auto a = m->predict(x);
  auto b = back->predict(x);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  std::vector<double> truth(y.begin(), y.end()), pred(a->begin(), a->end());
  EXPECT_GT(r2_score(truth, pred), 0.9);
}

TEST(XgbModel, DeterministicGivenTheSeedAndChangedByParameters) {
  DenseMatrix x;
  std::vector<float> y;
  make_data(800, 4, x, y);
  auto a = XgbModel::train(x, y, forest_params(10));
  auto b = XgbModel::train(x, y, forest_params(10));
  auto c = XgbModel::train(x, y, forest_params(3));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a->predict(x), *b->predict(x));
  EXPECT_NE(*a->predict(x), *c->predict(x));
}

TEST(XgbModel, MissingValuesArePredictedNotRefused) {
  DenseMatrix x;
  std::vector<float> y;
  make_data(500, 5, x, y);
  for (size_t i = 0; i < 500; i += 7) x.at(i, 1) = kMissing;
  auto m = XgbModel::train(x, y, forest_params(5));
  ASSERT_TRUE(m.ok()) << m.status().message();
  DenseMatrix q(1, 3, kMissing);
  auto p = m->predict(q);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(std::isfinite((*p)[0]));
}

TEST(XgbModel, RefusesDegenerateInputAndCorruptBlobs) {
  DenseMatrix empty;
  EXPECT_FALSE(XgbModel::train(empty, {}, forest_params(2)).ok());
  DenseMatrix x(3, 2, 1.f);
  std::vector<float> y = {1, 0};
  EXPECT_FALSE(XgbModel::train(x, y, forest_params(2)).ok());
  std::vector<float> bad = {1, NAN, 0};
  EXPECT_FALSE(XgbModel::train(x, bad, forest_params(2)).ok());
  XgbParams wrong = forest_params(2);
  wrong.booster.push_back({"objective", "no:such-objective"});
  std::vector<float> ok = {1, 0, 1};
  EXPECT_FALSE(XgbModel::train(x, ok, wrong).ok());

  EXPECT_FALSE(XgbModel::deserialize("").ok());
  auto m = XgbModel::train(x, ok, forest_params(2));
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::string blob = m->serialize();
  EXPECT_FALSE(XgbModel::deserialize(blob.substr(0, blob.size() / 2)).ok());
  std::string garbled = blob;
  for (size_t i = 40; i < garbled.size(); i += 3) garbled[i] = static_cast<char>(garbled[i] ^ 0x5a);
  EXPECT_FALSE(XgbModel::deserialize(garbled).ok());

  DenseMatrix wide(1, 5, 0.f);
  EXPECT_FALSE(m->predict(wide).ok());
  XgbModel untrained;
  EXPECT_FALSE(untrained.predict(x).ok());
}

}  // namespace
}  // namespace agentlearn::ml

namespace agentlearn::ml {
namespace {

// The flat trees predict what XGBoost predicts: both objectives, forests and boosting,
// missing values in training and in prediction.
TEST(XgbModel, FlatTreesPredictWhatXgboostPredicts) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<float> u(-1, 1);
  DenseMatrix x(3000, 6);
  std::vector<float> label(3000), target(3000);
  for (size_t i = 0; i < 3000; ++i) {
    for (size_t c = 0; c < 6; ++c) x.at(i, c) = (i + c) % 11 == 0 ? kMissing : u(rng);
    label[i] = x.at(i, 0) + 0.5f * u(rng) > 0 ? 1.f : 0.f;
    auto or_zero = [](float v) { return std::isnan(v) ? 0.f : v; };
    target[i] = 3 * or_zero(x.at(i, 1)) + (std::isnan(x.at(i, 2)) ? 2.f : x.at(i, 2));
  }
  XgbParams forest;
  forest.booster = {{"objective", "binary:logistic"}, {"num_parallel_tree", "50"}, {"max_depth", "10"},
                    {"learning_rate", "1"}, {"subsample", "0.632"}, {"colsample_bynode", "0.5"},
                    {"base_score", "0.37"}, {"tree_method", "hist"}};
  XgbParams boosting;
  boosting.booster = {{"objective", "reg:squarederror"}, {"max_depth", "3"}, {"learning_rate", "0.1"},
                      {"tree_method", "hist"}};
  boosting.rounds = 50;
  DenseMatrix probe(500, 6);
  for (size_t i = 0; i < 500; ++i) {
    for (size_t c = 0; c < 6; ++c) probe.at(i, c) = (i * 7 + c) % 5 == 0 ? kMissing : 1.5f * u(rng);
  }
  for (const auto& [params, y] : {std::pair{forest, label}, std::pair{boosting, target}}) {
    auto m = XgbModel::train(x, y, params);
    ASSERT_TRUE(m.ok()) << m.status().message();
    ASSERT_TRUE(m->uses_flat_trees());
    for (const DenseMatrix* data : {&x, &probe}) {
      std::vector<float> ours, theirs;
      ASSERT_TRUE(m->predict(data->data(), data->rows(), data->cols(), ours).ok());
      ASSERT_TRUE(m->predict_with_xgboost(data->data(), data->rows(), data->cols(), theirs).ok());
      ASSERT_EQ(ours.size(), theirs.size());
      for (size_t i = 0; i < ours.size(); ++i) ASSERT_NEAR(ours[i], theirs[i], 2e-6f * (1 + std::fabs(theirs[i]))) << i;
    }
    auto back = XgbModel::deserialize(m->serialize());
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(back->uses_flat_trees());
    EXPECT_EQ(*back->predict(probe), *m->predict(probe));
  }
}

TEST(TreeEnsemble, RefusesModelsItCannotWalk) {
  EXPECT_FALSE(TreeEnsemble::from_xgboost_json("not json").ok());
  EXPECT_FALSE(TreeEnsemble::from_xgboost_json("{}").ok());
  EXPECT_FALSE(TreeEnsemble::from_xgboost_json(
                   R"({"learner":{"learner_model_param":{"base_score":"5E-1","num_feature":"1"},)"
                   R"("objective":{"name":"multi:softprob"},"gradient_booster":{"name":"gbtree","model":{"trees":[]}}}})")
                   .ok());
}

}  // namespace
}  // namespace agentlearn::ml
