#include "ml/isolation_forest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "ml/byte_io.hpp"

namespace agentlearn::ml {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A 2-D standard Gaussian cluster of `inliers` rows followed by the given far outliers.
DenseMatrix cluster_with_outliers(size_t inliers, const std::vector<std::vector<float>>& outliers,
                                  uint32_t seed = 7) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  DenseMatrix m;
  for (size_t i = 0; i < inliers; ++i) {
    float row[2] = {normal(gen), normal(gen)};
    m.push_row(row);
  }
  for (const auto& o : outliers) m.push_row(o);
  return m;
}

const std::vector<std::vector<float>> kOutliers = {{8.f, 8.f}, {-9.f, 7.f}, {10.f, -6.f}, {-7.f, -10.f}, {0.f, 12.f}};

IsolationForest train_ok(const DenseMatrix& m, const IsolationForestParams& p = {}) {
  auto f = IsolationForest::train(m, p);
  EXPECT_TRUE(f.ok()) << f.status().message();
  return std::move(f).value();
}

TEST(IsolationForestPathLength, MatchesHandComputedValues) {
  EXPECT_EQ(average_path_length(0), 0.0);
  EXPECT_EQ(average_path_length(1), 0.0);
  EXPECT_EQ(average_path_length(2), 1.0);
  // 2 (ln 2 + 0.5772156649) - 2 * 2 / 3
  EXPECT_NEAR(average_path_length(3), 1.2073923576, 1e-9);
  EXPECT_NEAR(average_path_length(4), 1.8516559071, 1e-9);
  EXPECT_NEAR(average_path_length(10), 3.7488804845, 1e-9);
  // The paper's default psi: 2 (ln 255 + gamma) - 2 * 255 / 256.
  EXPECT_NEAR(average_path_length(256), 10.2447709201, 1e-9);
  EXPECT_NEAR(average_path_length(12000), 17.9397551804, 1e-9);
}

TEST(IsolationForest, OutliersScoreAboveEveryInlier) {
  // 250 + 5 rows, so every tree sees every row (psi = min(256, n)); with many more inliers
  // than psi a tree often lacks the outliers and the cluster's own tail can outscore them
  // (a property of the method, not of this code).
  DenseMatrix m = cluster_with_outliers(250, kOutliers);
  IsolationForest forest = train_ok(m);
  EXPECT_EQ(forest.feature_count(), 2u);
  EXPECT_EQ(forest.tree_count(), 100u);
  EXPECT_EQ(forest.sample_size(), 255u);

  std::vector<double> scores = forest.score_batch(m);
  ASSERT_EQ(scores.size(), m.rows());
  const size_t n_in = m.rows() - kOutliers.size();
  double max_inlier = 0.0, sum_inlier = 0.0;
  std::vector<double> inlier(scores.begin(), scores.begin() + static_cast<long>(n_in));
  for (double s : inlier) {
    max_inlier = std::max(max_inlier, s);
    sum_inlier += s;
  }
  std::sort(inlier.begin(), inlier.end());
  EXPECT_LT(sum_inlier / static_cast<double>(n_in), 0.5);
  EXPECT_LT(inlier[n_in * 9 / 10], 0.55);  // 90% of the cluster looks normal
  for (size_t k = 0; k < kOutliers.size(); ++k) {
    double s = scores[n_in + k];
    EXPECT_GT(s, 0.6) << "outlier " << k;
    EXPECT_GT(s, max_inlier) << "outlier " << k;
  }
  // Points never seen in training: the centre is normal, a far point is not.
  float centre[2] = {0.f, 0.f}, far[2] = {20.f, -20.f};
  EXPECT_LT(forest.score(centre), 0.45);
  EXPECT_GT(forest.score(far), 0.65);
}

TEST(IsolationForest, ScoresStayInUnitIntervalForExtremeRows) {
  IsolationForest forest = train_ok(cluster_with_outliers(300, kOutliers));
  std::vector<std::vector<float>> queries = {
      {0.f, 0.f}, {1e30f, -1e30f}, {kInf, -kInf}, {kNaN, kNaN}, {kNaN, 0.f}, {-kInf, kNaN},
      {std::numeric_limits<float>::denorm_min(), -0.f}};
  for (const auto& q : queries) {
    double s = forest.score(q);
    EXPECT_GT(s, 0.0);
    EXPECT_LE(s, 1.0);
  }
}

TEST(IsolationForest, MissingValuesGoRightLikePlusInfinity) {
  // The documented side: value <= threshold goes left, so NaN takes the same path as +inf
  // (and as any value above every threshold), in every tree.
  IsolationForest forest = train_ok(cluster_with_outliers(300, kOutliers));
  for (float y : {-3.f, 0.f, 0.5f, 4.f}) {
    float nan_row[2] = {kNaN, y}, inf_row[2] = {kInf, y}, big_row[2] = {1e30f, y}, small_row[2] = {-1e30f, y};
    EXPECT_EQ(forest.score(nan_row), forest.score(inf_row));
    EXPECT_EQ(forest.score(nan_row), forest.score(big_row));
    EXPECT_NE(forest.score(nan_row), forest.score(small_row));
  }
}

TEST(IsolationForest, DeterministicGivenTheSeed) {
  DenseMatrix m = cluster_with_outliers(400, kOutliers);
  IsolationForest a = train_ok(m), b = train_ok(m);
  EXPECT_EQ(a.score_batch(m), b.score_batch(m));
  EXPECT_EQ(a.serialize(), b.serialize());
}

TEST(IsolationForest, ChangedParametersChangeScores) {
  DenseMatrix m = cluster_with_outliers(400, kOutliers);
  const std::vector<double> base = train_ok(m).score_batch(m);

  IsolationForestParams other_seed;
  other_seed.seed = 43;
  IsolationForestParams fewer_trees;
  fewer_trees.n_estimators = 50;
  IsolationForestParams smaller_samples;
  smaller_samples.max_samples = 64;
  IsolationForestParams shallow;
  shallow.max_depth = 2;
  for (const auto& p : {other_seed, fewer_trees, smaller_samples, shallow}) {
    IsolationForest f = train_ok(m, p);
    EXPECT_NE(f.score_batch(m), base);
  }
  EXPECT_EQ(train_ok(m, fewer_trees).tree_count(), 50u);
  EXPECT_EQ(train_ok(m, smaller_samples).sample_size(), 64u);
}

TEST(IsolationForest, DepthLimitStopsGrowth) {
  // 64 distinct values: unlimited trees isolate every row (2 * 64 - 1 nodes each); the
  // paper's limit ceil(log2 64) = 6 stops earlier; max_depth 1 leaves one split per tree.
  DenseMatrix m;
  for (int i = 0; i < 64; ++i) {
    float v[1] = {static_cast<float>(i)};
    m.push_row(v);
  }
  IsolationForestParams p;
  p.n_estimators = 10;
  p.max_depth = 1000;
  EXPECT_EQ(train_ok(m, p).node_count(), 10u * 127);
  p.max_depth = 1;
  EXPECT_EQ(train_ok(m, p).node_count(), 10u * 3);
  p.max_depth = 0;
  IsolationForest limited = train_ok(m, p);
  EXPECT_GT(limited.node_count(), 10u * 3);
  EXPECT_LT(limited.node_count(), 10u * 120);
  // Shallow leaves carry the c(size) estimate, so the middle still looks normal and an
  // end of the range unusual.
  float middle[1] = {31.5f}, end[1] = {0.f};
  EXPECT_LT(limited.score(middle), limited.score(end));
}

TEST(IsolationForest, SampleSizeIsCappedByTheRowCount) {
  DenseMatrix m = cluster_with_outliers(40, {});
  IsolationForest f = train_ok(m);
  EXPECT_EQ(f.sample_size(), 40u);
  for (double s : f.score_batch(m)) {
    EXPECT_GT(s, 0.0);
    EXPECT_LE(s, 1.0);
  }
}

TEST(IsolationForest, ScoreBatchMatchesScore) {
  DenseMatrix m = cluster_with_outliers(200, kOutliers);
  IsolationForest f = train_ok(m);
  std::vector<double> batch = f.score_batch(m);
  for (size_t r = 0; r < m.rows(); ++r) EXPECT_EQ(batch[r], f.score(m.row(r)));
  EXPECT_TRUE(f.score_batch(DenseMatrix()).empty());
}

TEST(IsolationForest, ConcurrentScoringAgrees) {
  DenseMatrix m = cluster_with_outliers(300, kOutliers);
  const IsolationForest f = train_ok(m);
  const std::vector<double> expected = f.score_batch(m);
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) threads.emplace_back([&f, &m, &g] { g = f.score_batch(m); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

TEST(IsolationForest, SerializeRoundTripGivesIdenticalScores) {
  DenseMatrix m = cluster_with_outliers(500, kOutliers);
  IsolationForest f = train_ok(m);
  std::string blob = f.serialize();
  auto back = IsolationForest::deserialize(blob);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->feature_count(), f.feature_count());
  EXPECT_EQ(back->tree_count(), f.tree_count());
  EXPECT_EQ(back->sample_size(), f.sample_size());
  EXPECT_EQ(back->score_batch(m), f.score_batch(m));
  float nan_row[2] = {kNaN, 1.f};
  EXPECT_EQ(back->score(nan_row), f.score(nan_row));
  EXPECT_EQ(back->serialize(), blob);
}

TEST(IsolationForest, RefusesTruncatedTrailingAndForeignBlobs) {
  IsolationForestParams p;
  p.n_estimators = 3;
  p.max_samples = 16;
  std::string blob = train_ok(cluster_with_outliers(64, kOutliers), p).serialize();
  for (size_t len = 0; len < blob.size(); ++len) {
    EXPECT_FALSE(IsolationForest::deserialize(std::string_view(blob).substr(0, len)).ok()) << "prefix " << len;
  }
  EXPECT_FALSE(IsolationForest::deserialize(blob + '\0').ok());

  ByteWriter other("AL-D2V", 1);
  other.put<uint32_t>(2);
  EXPECT_FALSE(IsolationForest::deserialize(std::move(other).take()).ok());
  EXPECT_FALSE(IsolationForest::deserialize("garbage").ok());
}

TEST(IsolationForest, FlippedBytesNeverCrash) {
  // Any single-byte corruption is either refused or yields a forest whose scores are sane:
  // the node checks keep every traversal inside its tree.
  IsolationForestParams p;
  p.n_estimators = 3;
  p.max_samples = 16;
  DenseMatrix m = cluster_with_outliers(64, kOutliers);
  const std::string blob = train_ok(m, p).serialize();
  size_t refused = 0;
  for (size_t i = 0; i < blob.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xFF}) {
      std::string bad = blob;
      bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ flip);
      auto f = IsolationForest::deserialize(bad);
      if (!f.ok()) {
        ++refused;
        continue;
      }
      // A flipped width may survive the checks (features 0..1 are still in range): score
      // rows of whatever width the blob now claims.
      std::vector<float> row(f->feature_count(), 0.f);
      for (size_t r = 0; r < m.rows(); ++r) {
        std::copy_n(m.row(r).begin(), std::min<size_t>(2, row.size()), row.begin());
        double s = f->score(row);
        EXPECT_GT(s, 0.0) << "byte " << i;
        EXPECT_LE(s, 1.0) << "byte " << i;
      }
    }
  }
  EXPECT_GT(refused, 0u);
}

// Hand-written blobs in format 1: n_features, sample_size, tree offsets, nodes
// (int32 feature or -1, float threshold or leaf path length, uint32 right child).
struct RawNode {
  int32_t feature;
  float value;
  uint32_t right;
};
std::string raw_blob(uint32_t n_features, uint64_t sample_size, const std::vector<uint32_t>& offsets,
                     const std::vector<RawNode>& nodes) {
  ByteWriter w("AL-IFOREST", 1);
  w.put<uint32_t>(n_features);
  w.put<uint64_t>(sample_size);
  w.put_vector(offsets);
  w.put<uint64_t>(nodes.size());
  for (const auto& n : nodes) {
    w.put<int32_t>(n.feature);
    w.put<float>(n.value);
    w.put<uint32_t>(n.right);
  }
  return std::move(w).take();
}

TEST(IsolationForest, RefusesHostileNodeArraysAndLengths) {
  // A valid hand-made tree first, so the refusals below are about the one thing changed.
  const std::vector<RawNode> good = {{0, 0.5f, 2}, {-1, 1.f, 0}, {-1, 1.f, 0}};
  auto ok = IsolationForest::deserialize(raw_blob(1, 4, {0, 3}, good));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  float lo[1] = {0.f}, hi[1] = {1.f};
  EXPECT_NEAR(ok->score(lo), std::exp2(-1.0 / average_path_length(4)), 1e-12);
  EXPECT_EQ(ok->score(lo), ok->score(hi));

  auto refused = [](const std::string& blob) {
    auto f = IsolationForest::deserialize(blob);
    return !f.ok() && f.status().code() == StatusCode::kInvalidArgument && !f.status().message().empty();
  };
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 3}, {{0, 0.5f, 0}, {-1, 1.f, 0}, {-1, 1.f, 0}})));  // right points back
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 3}, {{0, 0.5f, 1}, {-1, 1.f, 0}, {-1, 1.f, 0}})));  // right == left
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 3}, {{0, 0.5f, 3}, {-1, 1.f, 0}, {-1, 1.f, 0}})));  // right past the tree
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 1}, {{0, 0.5f, 1}})));                               // children missing
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 3}, {{1, 0.5f, 2}, {-1, 1.f, 0}, {-1, 1.f, 0}})));  // feature out of range
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 3}, {{-2, 0.5f, 2}, {-1, 1.f, 0}, {-1, 1.f, 0}}))); // negative feature
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 3}, {{0, kNaN, 2}, {-1, 1.f, 0}, {-1, 1.f, 0}})));  // NaN threshold
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 3}, {{0, 0.5f, 2}, {-1, kInf, 0}, {-1, 1.f, 0}}))); // infinite leaf
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 3}, {{0, 0.5f, 2}, {-1, -1.f, 0}, {-1, 1.f, 0}}))); // negative leaf
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 3}, {{0, 0.5f, 2}, {-1, 1e30f, 0}, {-1, 1.f, 0}}))); // leaf deeper than psi allows
  EXPECT_TRUE(refused(raw_blob(0, 4, {0, 3}, good)));                                         // no features
  EXPECT_TRUE(refused(raw_blob(1, 0, {0, 3}, good)));                                         // no samples
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 2}, good)));                                         // offsets short
  EXPECT_TRUE(refused(raw_blob(1, 4, {1, 3}, good)));                                         // offsets not from 0
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 0, 3}, good)));                                      // empty tree
  EXPECT_TRUE(refused(raw_blob(1, 4, {0}, {})));                                              // no trees
  // A tree whose right child lies in the next tree.
  EXPECT_TRUE(refused(raw_blob(1, 4, {0, 2, 3}, {{0, 0.5f, 2}, {-1, 1.f, 0}, {-1, 1.f, 0}})));

  // Lengths far beyond the blob must be refused before anything is allocated.
  for (uint64_t hostile : {uint64_t{1} << 40, ~uint64_t{0}, uint64_t{1} << 62}) {
    ByteWriter w("AL-IFOREST", 1);
    w.put<uint32_t>(1);
    w.put<uint64_t>(4);
    w.put<uint64_t>(hostile);  // tree offsets count
    EXPECT_TRUE(refused(std::move(w).take()));
    ByteWriter w2("AL-IFOREST", 1);
    w2.put<uint32_t>(1);
    w2.put<uint64_t>(4);
    w2.put_vector(std::vector<uint32_t>{0, 3});
    w2.put<uint64_t>(hostile);  // node count
    EXPECT_TRUE(refused(std::move(w2).take()));
  }
}

TEST(IsolationForest, RefusesEmptyInputAndBadParams) {
  auto no_rows = IsolationForest::train(DenseMatrix(), {});
  ASSERT_FALSE(no_rows.ok());
  EXPECT_EQ(no_rows.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_rows.status().message().find("no training rows"), std::string::npos);

  auto no_cols = IsolationForest::train(DenseMatrix(5, 0), {});
  ASSERT_FALSE(no_cols.ok());
  EXPECT_EQ(no_cols.status().code(), StatusCode::kInvalidArgument);

  DenseMatrix m = cluster_with_outliers(50, {});
  auto expect_bad_param = [&m](IsolationForestParams p, const std::string& field) {
    auto f = IsolationForest::train(m, p);
    ASSERT_FALSE(f.ok()) << field;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(f.status().field(), field);
  };
  IsolationForestParams p;
  p.n_estimators = 0;
  expect_bad_param(p, "n_estimators");
  p.n_estimators = -5;
  expect_bad_param(p, "n_estimators");
  p.n_estimators = 1'000'000;
  expect_bad_param(p, "n_estimators");
  p = {};
  p.max_samples = 0;
  expect_bad_param(p, "max_samples");
  p = {};
  p.max_depth = -1;
  expect_bad_param(p, "max_depth");
  p.max_depth = 1'000'000;
  expect_bad_param(p, "max_depth");
}

TEST(IsolationForest, SingleRowScoresOneHalf) {
  DenseMatrix m;
  float row[3] = {1.f, 2.f, 3.f};
  m.push_row(row);
  IsolationForest f = train_ok(m);
  EXPECT_EQ(f.sample_size(), 1u);
  EXPECT_EQ(f.score(row), 0.5);
  float other[3] = {100.f, -5.f, kNaN};
  EXPECT_EQ(f.score(other), 0.5);
  auto back = IsolationForest::deserialize(f.serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->score(other), 0.5);
}

TEST(IsolationForest, IdenticalRowsMakeSingleLeafTrees) {
  // Nothing can be split, so every tree is one leaf holding psi rows: E[h] = c(psi), s = 0.5.
  DenseMatrix m(300, 4, 2.5f);
  IsolationForest f = train_ok(m);
  for (double s : f.score_batch(m)) EXPECT_NEAR(s, 0.5, 1e-6);
  float other[4] = {-1.f, 9.f, 0.f, 1e9f};
  EXPECT_NEAR(f.score(other), 0.5, 1e-6);
  // One leaf per tree: the blob holds 100 nodes, not a deep tree.
  auto single = IsolationForest::deserialize(f.serialize());
  ASSERT_TRUE(single.ok());
  EXPECT_LT(f.serialize().size(), 100u * 12 + 100u * 4 + 200u);
}

TEST(IsolationForest, AllNanColumnIsIgnoredAndOthersStillIsolate) {
  DenseMatrix base = cluster_with_outliers(250, kOutliers);
  DenseMatrix m(base.rows(), 3);
  for (size_t r = 0; r < base.rows(); ++r) {
    m.at(r, 0) = base.at(r, 0);
    m.at(r, 1) = kNaN;  // a metric nobody reported
    m.at(r, 2) = base.at(r, 1);
  }
  IsolationForest f = train_ok(m);
  std::vector<double> s = f.score_batch(m);
  const size_t n_in = m.rows() - kOutliers.size();
  double max_inlier = *std::max_element(s.begin(), s.begin() + static_cast<long>(n_in));
  for (size_t k = n_in; k < m.rows(); ++k) EXPECT_GT(s[k], max_inlier);
  for (double v : s) {
    EXPECT_GT(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  // The NaN column never splits, so its value at scoring time does not matter.
  float a[3] = {0.3f, kNaN, -0.2f}, b[3] = {0.3f, 1e6f, -0.2f};
  EXPECT_EQ(f.score(a), f.score(b));
}

TEST(IsolationForest, PartlyMissingColumnTrainsAndScores) {
  DenseMatrix m = cluster_with_outliers(400, kOutliers);
  for (size_t r = 0; r < m.rows(); r += 3) m.at(r, 1) = kNaN;
  IsolationForest f = train_ok(m);
  for (double v : f.score_batch(m)) {
    EXPECT_GT(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  float far[2] = {12.f, kNaN}, centre[2] = {0.f, 0.f};
  EXPECT_GT(f.score(far), f.score(centre));
}

TEST(IsolationForest, InfiniteTrainingValuesDoNotBreakSplits) {
  DenseMatrix m = cluster_with_outliers(200, kOutliers);
  m.at(0, 0) = kInf;
  m.at(1, 0) = -kInf;
  m.at(2, 1) = kInf;
  IsolationForest f = train_ok(m);
  for (double v : f.score_batch(m)) {
    EXPECT_GT(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  // The infinite rows sit at the edges of every split range: they isolate fast.
  float centre[2] = {0.f, 0.f};
  for (size_t r : {0, 1, 2}) EXPECT_GT(f.score(m.row(r)), f.score(centre)) << "row " << r;
}

}  // namespace
}  // namespace agentlearn::ml
