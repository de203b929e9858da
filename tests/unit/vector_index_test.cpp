#include "index/vector_index.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <thread>
#include <unordered_set>

namespace agentlearn::index {
namespace {

// Small dimensions keep the suite fast; the 256-d figures are in bench/vector_index_bench.
constexpr size_t kDims = 32;

std::vector<float> random_vector(std::mt19937_64& rng) {
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> v(kDims);
  for (auto& x : v) x = g(rng);
  return v;
}

// n points around `centres` random centres (the construction, scaled to kDims).
std::vector<std::vector<float>> clustered(size_t n, size_t centres, std::mt19937_64& rng) {
  std::vector<std::vector<float>> c;
  for (size_t i = 0; i < centres; ++i) c.push_back(random_vector(rng));
  for (auto& v : c) {
    float s = 0;
    for (float x : v) s += x * x;
    for (auto& x : v) x /= std::sqrt(s);
  }
  std::normal_distribution<float> noise(0.0f, 0.3f / std::sqrt(float(kDims)));
  std::vector<std::vector<float>> out(n);
  for (auto& v : out) {
    v = c[rng() % centres];
    for (auto& x : v) x += noise(rng);
  }
  return out;
}

HnswOptions small_options() {
  HnswOptions o;
  o.initial_capacity = 16;  // forces resizes in every test
  o.ef_construction = 100;
  return o;
}

std::unique_ptr<VectorIndex> make(bool hnsw) {
  if (hnsw) return std::make_unique<HnswIndex>(kDims, small_options());
  return std::make_unique<ExactIndex>(kDims);
}

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("vector_index_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

class BothIndexes : public ::testing::TestWithParam<bool> {
 protected:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(temp_path("x")).parent_path(), ec);
  }
};
INSTANTIATE_TEST_SUITE_P(Index, BothIndexes, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Hnsw" : "Exact"; });

// Recall of the graph against the exact answer. Built by one thread the graph is the same on
// every run (the seed fixes the levels, the order is fixed), so the bar is the index's own.
// Built by two threads the graph depends on how they interleave (recall fell to 0.94 in one of
// 15 runs here, 0.95 or more in the rest), so that build gets a bar a broken concurrent insert
// would still miss.
double recall_against_exact(size_t threads) {
  std::mt19937_64 rng(7);
  auto data = clustered(3000, 30, rng);
  auto queries = clustered(100, 30, rng);
  ExactIndex exact(kDims);
  HnswIndex hnsw(kDims, small_options());
  std::vector<uint64_t> ids(data.size());
  std::vector<float> rows;
  for (size_t i = 0; i < data.size(); ++i) {
    ids[i] = 1000 + i;
    EXPECT_TRUE(exact.add(ids[i], data[i]).ok());
    rows.insert(rows.end(), data[i].begin(), data[i].end());
  }
  EXPECT_TRUE(hnsw.add_batch(ids, rows, threads).ok());
  EXPECT_EQ(hnsw.size(), data.size());
  size_t hits = 0;
  for (const auto& q : queries) {
    auto want = exact.search(q, 10);
    auto got = hnsw.search(q, 10);
    if (!want.ok() || !got.ok() || got->size() != 10u) {
      ADD_FAILURE() << "a search failed or found fewer than 10";
      return 0;
    }
    std::unordered_set<uint64_t> truth;
    for (const auto& n : *want) truth.insert(n.id);
    for (const auto& n : *got) hits += truth.count(n.id);
    for (size_t i = 1; i < got->size(); ++i) EXPECT_GE((*got)[i - 1].similarity, (*got)[i].similarity);
  }
  return double(hits) / double(queries.size() * 10);
}

TEST(HnswIndexTest, RecallAgainstExactOracle) { EXPECT_GE(recall_against_exact(1), 0.95); }

TEST(HnswIndexTest, RecallAgainstExactOracleBuiltConcurrently) { EXPECT_GE(recall_against_exact(2), 0.90); }

TEST_P(BothIndexes, ReplaceAndRemove) {
  auto index = make(GetParam());
  std::mt19937_64 rng(1);
  auto a = random_vector(rng), b = random_vector(rng), c = random_vector(rng);
  ASSERT_TRUE(index->add(1, a).ok());
  ASSERT_TRUE(index->add(2, b).ok());
  ASSERT_TRUE(index->add(3, c).ok());
  EXPECT_EQ(index->size(), 3u);
  auto r = index->search(a, 1);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].id, 1u);
  EXPECT_NEAR((*r)[0].similarity, 1.0f, 1e-5);

  // Replacing id 1 with c's direction (scaled: normalisation makes length irrelevant).
  std::vector<float> c2 = c;
  for (auto& x : c2) x *= 3;
  ASSERT_TRUE(index->add(1, c2).ok());
  EXPECT_EQ(index->size(), 3u);
  r = index->search(c, 2);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, 1u);  // ties broken by id
  EXPECT_EQ((*r)[1].id, 3u);
  EXPECT_NEAR((*r)[0].similarity, 1.0f, 1e-5);
  r = index->search(a, 3);
  for (const auto& n : *r) EXPECT_LT(n.similarity, 0.99f);

  EXPECT_TRUE(index->remove(1));
  EXPECT_FALSE(index->remove(1));
  EXPECT_FALSE(index->remove(42));
  EXPECT_EQ(index->size(), 2u);
  r = index->search(c, 10);
  ASSERT_EQ(r->size(), 2u);
  for (const auto& n : *r) EXPECT_NE(n.id, 1u);

  // Re-adding a removed id brings it back.
  ASSERT_TRUE(index->add(1, a).ok());
  EXPECT_EQ(index->size(), 3u);
  r = index->search(a, 1);
  EXPECT_EQ((*r)[0].id, 1u);
}

TEST_P(BothIndexes, MinSimilarityFiltersAndOrders) {
  auto index = make(GetParam());
  // Unit vectors at known cosines to e0.
  auto at = [](float cosine) {
    std::vector<float> v(kDims, 0.0f);
    v[0] = cosine;
    v[1] = std::sqrt(1 - cosine * cosine);
    return v;
  };
  ASSERT_TRUE(index->add(10, at(0.5f)).ok());
  ASSERT_TRUE(index->add(11, at(0.95f)).ok());
  ASSERT_TRUE(index->add(12, at(-0.2f)).ok());
  ASSERT_TRUE(index->add(13, at(0.85f)).ok());
  auto q = at(1.0f);
  auto r = index->search(q, 10, 0.8f);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, 11u);
  EXPECT_NEAR((*r)[0].similarity, 0.95f, 1e-5);
  EXPECT_EQ((*r)[1].id, 13u);
  EXPECT_EQ(index->search(q, 10, 0.99f)->size(), 0u);
  EXPECT_EQ(index->search(q, 10)->size(), 4u);
  EXPECT_EQ(index->search(q, 10)->back().id, 12u);
  EXPECT_EQ(index->search(q, 0)->size(), 0u);
}

TEST_P(BothIndexes, RefusesBadVectors) {
  auto index = make(GetParam());
  std::vector<float> good(kDims, 1.0f);
  ASSERT_TRUE(index->add(1, good).ok());
  std::vector<float> short_v(kDims - 1, 1.0f);
  auto nan = good;
  nan[5] = std::numeric_limits<float>::quiet_NaN();
  auto inf = good;
  inf[0] = std::numeric_limits<float>::infinity();
  std::vector<float> zero(kDims, 0.0f);
  for (const auto& bad : {short_v, nan, inf, zero}) {
    auto st = index->add(2, bad);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(index->search(bad, 3).status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(index->size(), 1u);
  EXPECT_EQ(index->dimensions(), kDims);
}

std::vector<std::vector<Neighbor>> answers(const VectorIndex& index, const std::vector<std::vector<float>>& qs) {
  std::vector<std::vector<Neighbor>> out;
  for (const auto& q : qs) out.push_back(*index.search(q, 10, -1.0f));
  return out;
}

StatusOr<std::unique_ptr<VectorIndex>> load(bool hnsw, const std::string& path) {
  if (hnsw) {
    auto r = HnswIndex::load(path);
    if (!r.ok()) return r.status();
    return std::unique_ptr<VectorIndex>(std::move(*r));
  }
  auto r = ExactIndex::load(path);
  if (!r.ok()) return r.status();
  return std::unique_ptr<VectorIndex>(std::move(*r));
}

TEST_P(BothIndexes, SaveLoadGivesIdenticalResults) {
  std::mt19937_64 rng(3);
  auto data = clustered(500, 10, rng);
  auto queries = clustered(30, 10, rng);
  auto index = make(GetParam());
  for (size_t i = 0; i < data.size(); ++i) ASSERT_TRUE(index->add(i * 7, data[i]).ok());
  ASSERT_TRUE(index->remove(7));  // the delete mark must survive too
  const auto path = temp_path(GetParam() ? "round.hnsw-index" : "round.exact-index");
  ASSERT_TRUE(index->save(path).ok());
  auto loaded = load(GetParam(), path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->size(), index->size());
  EXPECT_EQ((*loaded)->dimensions(), kDims);
  EXPECT_EQ(answers(**loaded, queries), answers(*index, queries));
  // HNSW keeps its memory figure as it goes; loading recounts it to the same bytes.
  if (GetParam()) {
    EXPECT_EQ((*loaded)->memory_bytes(), index->memory_bytes());
  }
  // And it keeps working as an index.
  ASSERT_TRUE((*loaded)->add(99999, data[0]).ok());
  EXPECT_EQ((*loaded)->size(), index->size() + 1);
}

void corrupt_byte(const std::string& path, std::streamoff at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(at);
  f.write(&c, 1);
}

TEST_P(BothIndexes, CorruptOrTruncatedFileIsRefused) {
  std::mt19937_64 rng(4);
  auto index = make(GetParam());
  for (uint64_t i = 0; i < 200; ++i) ASSERT_TRUE(index->add(i, random_vector(rng)).ok());
  const auto path = temp_path(GetParam() ? "bad.hnsw-index" : "bad.exact-index");
  // The file whose bytes matter most: the payload for HNSW, the one file for exact.
  const auto body = GetParam() ? path + ".hnsw" : path;
  auto fresh = [&] { ASSERT_TRUE(index->save(path).ok()); };

  fresh();
  const auto size = std::filesystem::file_size(body);
  for (auto at : {std::streamoff(3), std::streamoff(size / 2), std::streamoff(size - 1)}) {
    fresh();
    corrupt_byte(body, at);
    EXPECT_EQ(load(GetParam(), path).status().code(), StatusCode::kInvalidArgument) << "byte " << at;
  }
  for (auto keep : {uintmax_t{0}, uintmax_t{10}, size / 2, size - 1}) {
    fresh();
    std::filesystem::resize_file(body, keep);
    EXPECT_FALSE(load(GetParam(), path).ok()) << "truncated to " << keep;
  }
  if (GetParam()) {  // the header itself
    fresh();
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 5);
    EXPECT_FALSE(load(true, path).ok());
    fresh();
    corrupt_byte(path, 20);
    EXPECT_FALSE(load(true, path).ok());
  }
  EXPECT_EQ(load(GetParam(), path + ".missing").status().code(), StatusCode::kNotFound);
  {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << "not an index at all";
  }
  EXPECT_FALSE(load(GetParam(), path).ok());
  fresh();
  EXPECT_TRUE(load(GetParam(), path).ok());
}

TEST(HnswIndexTest, AddBatchTakesNewDistinctIdsOnly) {
  HnswIndex index(kDims, small_options());
  std::vector<float> rows(3 * kDims, 1.0f);
  rows[kDims] = 2;
  rows[2 * kDims] = 3;
  std::vector<uint64_t> dup{1, 2, 1};
  EXPECT_EQ(index.add_batch(dup, rows).code(), StatusCode::kInvalidArgument);
  std::vector<uint64_t> ids{1, 2, 3};
  EXPECT_EQ(index.add_batch(ids, std::span<const float>(rows).first(kDims)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(index.add_batch(ids, rows).ok());
  EXPECT_EQ(index.add_batch(std::span<const uint64_t>(ids).first(1), std::span<const float>(rows).first(kDims)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(index.size(), 3u);
  ASSERT_TRUE(index.reserve(1000).ok());
  EXPECT_EQ(index.capacity(), 1000u);
  EXPECT_GT(index.memory_bytes(), 1000 * kDims * sizeof(float));
}

// Searches on three threads while one thread adds (through several resizes), replaces and
// removes. Every search must succeed and return sorted, live-or-recent ids.
TEST(HnswIndexTest, ConcurrentSearchesWhileAdding) {
  std::mt19937_64 rng(5);
  auto data = clustered(1500, 20, rng);
  HnswIndex index(kDims, small_options());
  for (uint64_t i = 0; i < 100; ++i) ASSERT_TRUE(index.add(i, data[i]).ok());
  std::atomic<bool> done{false};
  std::atomic<size_t> searches{0}, failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&, t] {
      size_t q = static_cast<size_t>(t);
      while (!done.load()) {
        auto r = index.search(data[q % data.size()], 10);
        if (!r.ok() || r->empty()) failures.fetch_add(1);
        else
          for (size_t i = 1; i < r->size(); ++i)
            if ((*r)[i - 1].similarity < (*r)[i].similarity || (*r)[i].id >= data.size()) failures.fetch_add(1);
        searches.fetch_add(1);
        q += 7;
      }
    });
  for (uint64_t i = 100; i < data.size(); ++i) {
    ASSERT_TRUE(index.add(i, data[i]).ok());
    if (i % 100 == 0) {
      ASSERT_TRUE(index.remove(i - 50));
      ASSERT_TRUE(index.add(i - 60, data[i - 61]).ok());  // replace
    }
  }
  index.set_ef_search(80);
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(searches.load(), 0u);
  EXPECT_EQ(index.size(), data.size() - 14);  // ids 150, 250, ..., 1450 removed
  auto r = index.search(data[1234], 1);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_NEAR((*r)[0].similarity, 1.0f, 1e-4);
}

}  // namespace
}  // namespace agentlearn::index

namespace agentlearn::index {
namespace {

// contains() and vector() agree with add/remove on both implementations, and the vector is
// the unit-length one searched with (a task_id query reuses it).
TEST(VectorIndexLookup, ContainsAndVectorFollowAddAndRemove) {
  ExactIndex exact(4);
  HnswIndex hnsw(4);
  for (VectorIndex* ix : {static_cast<VectorIndex*>(&exact), static_cast<VectorIndex*>(&hnsw)}) {
    EXPECT_FALSE(ix->contains(7));
    EXPECT_TRUE(ix->vector(7).empty());
    const std::vector<float> v = {3, 0, 4, 0};
    ASSERT_TRUE(ix->add(7, v).ok());
    EXPECT_TRUE(ix->contains(7));
    const std::vector<float> unit = {0.6f, 0, 0.8f, 0};
    auto got = ix->vector(7);
    ASSERT_EQ(got.size(), 4u);
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], unit[i], 1e-6);
    auto self = ix->search(got, 1);
    ASSERT_TRUE(self.ok());
    ASSERT_EQ(self->size(), 1u);
    EXPECT_EQ((*self)[0].id, 7u);
    EXPECT_TRUE(ix->remove(7));
    EXPECT_FALSE(ix->contains(7));
    EXPECT_TRUE(ix->vector(7).empty());
  }
}

}  // namespace
}  // namespace agentlearn::index
