#include "ml/mlp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace agentlearn::ml {
namespace {

// A small deterministic generator for test data (std distributions differ across libraries).
struct TestRng {
  uint64_t s;
  uint64_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return s >> 33;
  }
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
  float unit() { return static_cast<float>(next() % 1000000) / 1e6f; }
};

// 4 classes over 40 features; class c owns features [10c, 10c + 10). A row has 3 of its own
// features and 2 weaker random ones from anywhere.
void separable(int n, uint64_t seed, SparseRows* x, std::vector<int32_t>* y) {
  TestRng rng{seed};
  for (int i = 0; i < n; ++i) {
    int c = rng.below(4);
    std::vector<std::pair<int32_t, float>> f;
    for (int k = 0; k < 3; ++k) f.push_back({10 * c + rng.below(10), 1.f});
    for (int k = 0; k < 2; ++k) f.push_back({rng.below(40), 0.5f});
    std::sort(f.begin(), f.end());
    std::vector<int32_t> idx;
    std::vector<float> val;
    for (auto [j, v] : f) {
      if (!idx.empty() && idx.back() == j) {
        val.back() += v;
      } else {
        idx.push_back(j);
        val.push_back(v);
      }
    }
    x->add_row(idx, val);
    y->push_back(c);
  }
}

double accuracy(const Mlp& net, const SparseRows& x, const std::vector<int32_t>& y) {
  size_t correct = 0;
  for (size_t r = 0; r < x.rows(); ++r) {
    auto p = net.predict_proba(x.row(r));
    correct += std::max_element(p.begin(), p.end()) - p.begin() == y[r];
  }
  return static_cast<double>(correct) / static_cast<double>(x.rows());
}

// XOR of two binary features: no linear model gets more than 3 of the 4 patterns.
void xor_data(SparseRows* x, std::vector<int32_t>* y) {
  for (int rep = 0; rep < 25; ++rep) {
    x->add_row(std::vector<int32_t>{2}, std::vector<float>{1.f});
    y->push_back(0);
    x->add_row(std::vector<int32_t>{0, 2}, std::vector<float>{1.f, 1.f});
    y->push_back(1);
    x->add_row(std::vector<int32_t>{1, 2}, std::vector<float>{1.f, 1.f});
    y->push_back(1);
    x->add_row(std::vector<int32_t>{0, 1, 2}, std::vector<float>{1.f, 1.f, 1.f});
    y->push_back(0);
  }
}

TEST(Mlp, LearnsSeparableSparseData) {
  SparseRows train(40), test(40);
  std::vector<int32_t> ytrain, ytest;
  separable(400, 1, &train, &ytrain);
  separable(200, 2, &test, &ytest);
  MlpParams p;
  p.hidden = {16};
  p.batch_size = 32;
  p.learning_rate = 0.01;
  MlpTrainReport report;
  auto net = Mlp::train(train, ytrain, 4, p, &report);
  ASSERT_TRUE(net.ok()) << net.status().message();
  EXPECT_GT(accuracy(*net, test, ytest), 0.95);
  EXPECT_GT(report.best_validation_accuracy, 0.9);
  EXPECT_EQ(report.training_samples + report.validation_samples, 400u);
  EXPECT_EQ(report.validation_samples, 40u);  // 10%, per class, rounded
}

TEST(Mlp, HiddenLayerLearnsXorThatSoftmaxRegressionCannot) {
  SparseRows x(3);
  std::vector<int32_t> y;
  xor_data(&x, &y);
  MlpParams p;
  p.hidden = {8};
  p.validation_fraction = 0;
  p.learning_rate = 0.02;
  p.batch_size = 20;
  p.max_epochs = 300;
  auto net = Mlp::train(x, y, 2, p);
  ASSERT_TRUE(net.ok()) << net.status().message();
  EXPECT_EQ(accuracy(*net, x, y), 1.0);

  p.hidden = {};
  auto linear = Mlp::train(x, y, 2, p);
  ASSERT_TRUE(linear.ok());
  EXPECT_LE(accuracy(*linear, x, y), 0.75);
}

// Central differences against backward(), over every weight and bias of a two-hidden-layer
// network with the L2 term on.
void check_gradient(std::vector<int> hidden) {
  TestRng rng{7};
  SparseRows x(6);
  std::vector<int32_t> y;
  for (int i = 0; i < 8; ++i) {
    std::vector<int32_t> idx;
    std::vector<float> val;
    for (int j = 0; j < 6; ++j) {
      if (rng.below(2)) {
        idx.push_back(j);
        val.push_back(0.2f + rng.unit());
      }
    }
    x.add_row(idx, val);
    y.push_back(rng.below(3));
  }
  auto made = Mlp::create(6, hidden, 3, 11);
  ASSERT_TRUE(made.ok());
  Mlp net = std::move(made).value();
  // Non-zero biases, so their paths are exercised too.
  for (float& w : net.parameters()) w += 0.1f * (rng.unit() - 0.5f);
  const double l2 = 0.01;
  std::vector<float> grad;
  net.loss(x, y, l2, &grad);
  ASSERT_EQ(grad.size(), net.parameters().size());
  double worst = 0, largest = 0;
  for (size_t i = 0; i < grad.size(); ++i) {
    float saved = net.parameters()[i];
    const float eps = 1e-3f;
    net.parameters()[i] = saved + eps;
    double up = net.loss(x, y, l2);
    net.parameters()[i] = saved - eps;
    double down = net.loss(x, y, l2);
    net.parameters()[i] = saved;
    double numeric = (up - down) / (2.0 * eps);
    worst = std::max(worst, std::abs(numeric - grad[i]) / (1e-3 + std::abs(numeric)));
    largest = std::max(largest, std::abs(numeric));
  }
  EXPECT_LT(worst, 2e-2);
  EXPECT_GT(largest, 1e-2);  // the check compared real gradients, not zeros
}

TEST(Mlp, BackwardPassMatchesFiniteDifferences) {
  check_gradient({5, 4});
  check_gradient({});
}

TEST(Mlp, EarlyStoppingStopsAndKeepsTheBestWeights) {
  // Random labels: validation accuracy stops improving quickly.
  TestRng rng{3};
  SparseRows x(20);
  std::vector<int32_t> y;
  for (int i = 0; i < 200; ++i) {
    x.add_row(std::vector<int32_t>{rng.below(10), 10 + rng.below(10)}, std::vector<float>{1.f, 1.f});
    y.push_back(rng.below(3));
  }
  MlpParams p;
  p.hidden = {8};
  p.validation_fraction = 0.25;
  p.patience = 3;
  p.max_epochs = 500;
  p.learning_rate = 0.01;
  MlpTrainReport report;
  auto net = Mlp::train(x, y, 3, p, &report);
  ASSERT_TRUE(net.ok());
  EXPECT_LT(report.epochs_run, 500);
  EXPECT_EQ(report.epochs_run, report.best_epoch + p.patience);

  // Training stopped at the best epoch follows the same path: the kept weights are those.
  p.max_epochs = report.best_epoch;
  auto shorter = Mlp::train(x, y, 3, p);
  ASSERT_TRUE(shorter.ok());
  EXPECT_TRUE(std::ranges::equal(net->parameters(), shorter->parameters()));

  p.max_epochs = 500;
  p.refit = true;
  MlpTrainReport refit;
  ASSERT_TRUE(Mlp::train(x, y, 3, p, &refit).ok());
  EXPECT_EQ(refit.refit_epochs, report.best_epoch);
  EXPECT_EQ(refit.training_samples, 200u);
}

TEST(Mlp, TrainingIsDeterministicGivenTheSeed) {
  SparseRows x(40);
  std::vector<int32_t> y;
  separable(200, 5, &x, &y);
  MlpParams p;
  p.hidden = {8};
  p.dropout = 0.3;
  p.max_epochs = 5;
  auto a = Mlp::train(x, y, 4, p), b = Mlp::train(x, y, 4, p);
  p.seed = 43;
  auto c = Mlp::train(x, y, 4, p);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(std::ranges::equal(a->parameters(), b->parameters()));
  EXPECT_FALSE(std::ranges::equal(a->parameters(), c->parameters()));
}

TEST(Mlp, EmptyRowGetsAProperDistribution) {
  auto net = Mlp::create(10, {4}, 3, 1);
  ASSERT_TRUE(net.ok());
  auto p = net->predict_proba({});
  ASSERT_EQ(p.size(), 3u);
  float sum = 0;
  for (float v : p) {
    EXPECT_TRUE(std::isfinite(v));
    sum += v;
  }
  EXPECT_NEAR(sum, 1.f, 1e-6f);
}

TEST(Mlp, RefusesBadInput) {
  SparseRows x(5);
  x.add_row(std::vector<int32_t>{1}, std::vector<float>{1.f});
  x.add_row(std::vector<int32_t>{2}, std::vector<float>{1.f});
  std::vector<int32_t> y = {0, 1};
  MlpParams ok;
  ok.validation_fraction = 0;
  ok.max_epochs = 1;
  EXPECT_TRUE(Mlp::train(x, y, 2, ok).ok());

  EXPECT_FALSE(Mlp::train(SparseRows(5), {}, 2, ok).ok());
  EXPECT_FALSE(Mlp::train(x, std::vector<int32_t>{0}, 2, ok).ok());
  EXPECT_FALSE(Mlp::train(x, std::vector<int32_t>{0, 2}, 2, ok).ok());
  EXPECT_FALSE(Mlp::train(x, y, 1, ok).ok());
  SparseRows wide(5);
  wide.add_row(std::vector<int32_t>{7}, std::vector<float>{1.f});
  wide.add_row(std::vector<int32_t>{1}, std::vector<float>{1.f});
  EXPECT_FALSE(Mlp::train(wide, y, 2, ok).ok());
  auto bad = [&](auto change) {
    MlpParams p = ok;
    change(p);
    auto r = Mlp::train(x, y, 2, p);
    return !r.ok() && r.status().code() == StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(bad([](MlpParams& p) { p.learning_rate = 0; }));
  EXPECT_TRUE(bad([](MlpParams& p) { p.batch_size = 0; }));
  EXPECT_TRUE(bad([](MlpParams& p) { p.max_epochs = 0; }));
  EXPECT_TRUE(bad([](MlpParams& p) { p.validation_fraction = 1; }));
  EXPECT_TRUE(bad([](MlpParams& p) { p.patience = 0; }));
  EXPECT_TRUE(bad([](MlpParams& p) { p.l2 = -1; }));
  EXPECT_TRUE(bad([](MlpParams& p) { p.dropout = 1; }));
  EXPECT_TRUE(bad([](MlpParams& p) { p.hidden = {0}; }));
}

TEST(Mlp, RoundTripsThroughBytes) {
  auto net = Mlp::create(12, {6, 5}, 4, 9);
  ASSERT_TRUE(net.ok());
  ByteWriter w("AL-TEST", 1);
  net->write(w);
  std::string blob = std::move(w).take();
  ByteReader r(blob, "AL-TEST", 1, 1);
  auto back = Mlp::read(r);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(r.finish().ok());
  EXPECT_EQ(back->hidden(), (std::vector<int>{6, 5}));
  EXPECT_TRUE(std::ranges::equal(back->parameters(), net->parameters()));
  std::vector<int32_t> idx = {1, 7};
  std::vector<float> val = {0.5f, 2.f};
  EXPECT_EQ(back->predict_proba({idx, val}), net->predict_proba({idx, val}));

  for (size_t cut : {blob.size() - 1, blob.size() / 2, size_t{20}}) {
    ByteReader rc(std::string_view(blob).substr(0, cut), "AL-TEST", 1, 1);
    EXPECT_FALSE(Mlp::read(rc).ok()) << cut;
  }
}

}  // namespace
}  // namespace agentlearn::ml
