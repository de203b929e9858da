// HNSW against the exact oracle: recall@10, single-query latency (p50/p99), build time and
// memory, on these data sets:
//   clustered: N synthetic 256-d unit vectors around 1,000 random centres (Gaussian noise,
//              sd 0.3/sqrt(256) per coordinate, then normalised), queries drawn the same way;
//   random:    uniform random unit vectors (the worst case: no structure to exploit);
//   debian:    (with --debian) the Doc2Vec embeddings of the 9,760 debian-packages texts:
//              the model trained (default params) on the 7,830 train texts, their trained doc
//              vectors plus the inferred vectors of the 1,930 test texts indexed, as the
//              service stores them; queries = the test texts' vectors (each is in the index,
//              as for GET /tasks/similar?task_id=);
//   debian-heldout: the same model, only the train doc vectors indexed, queries = the
//              test texts' inferred vectors (unseen texts, as for ?q=TEXT).
//              Texts with no vocabulary word (zero vector, refused by the index) are left out.
// Recall is measured on the first --oracle queries (exact search over 1M is ~0.1 s a query;
// on the debian sets on every query); latency on all --queries (debian: all test texts), one
// at a time on one thread.
// Run: build/bench/vector_index_bench [--n=1000000] [--random-n=100000] [--queries=1000]
//      [--oracle=200] [--threads=2] [--ef=32,64,100,128] [--skip-clustered] [--skip-random]
//      [--debian] [--data=DIR (default the shared data folder)]
// (A main of its own: a table of recall against ef reads better than Google Benchmark rows.)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "app/evaluation_data.hpp"
#include "index/vector_index.hpp"
#include "ml/doc2vec.hpp"
#include "ml/tokenizer.hpp"

namespace {

using agentlearn::index::ExactIndex;
using agentlearn::index::HnswIndex;
constexpr size_t kDims = 256;
constexpr size_t kK = 10;

struct Args {
  size_t n = 1'000'000;
  size_t random_n = 100'000;
  size_t queries = 1000;
  size_t oracle = 200;
  size_t threads = 2;
  std::vector<size_t> efs{32, 64, 100, 128};
  bool clustered = true;
  bool random = true;
  bool debian = false;
  std::string data_dir = AGENTLEARN_SHARED_DATA;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view s = argv[i];
    auto val = [&](std::string_view key) -> std::string {
      return s.starts_with(key) ? std::string(s.substr(key.size())) : std::string();
    };
    if (auto v = val("--n="); !v.empty()) a.n = std::stoull(v);
    else if (auto v2 = val("--random-n="); !v2.empty()) a.random_n = std::stoull(v2);
    else if (auto v3 = val("--queries="); !v3.empty()) a.queries = std::stoull(v3);
    else if (auto v4 = val("--oracle="); !v4.empty()) a.oracle = std::stoull(v4);
    else if (auto v5 = val("--threads="); !v5.empty()) a.threads = std::stoull(v5);
    else if (auto v6 = val("--ef="); !v6.empty()) {
      a.efs.clear();
      for (size_t pos = 0; pos < v6.size();) {
        size_t comma = v6.find(',', pos);
        if (comma == std::string::npos) comma = v6.size();
        a.efs.push_back(std::stoull(v6.substr(pos, comma - pos)));
        pos = comma + 1;
      }
    } else if (s == "--skip-clustered") a.clustered = false;
    else if (s == "--skip-random") a.random = false;
    else if (s == "--debian") a.debian = true;
    else if (auto v7 = val("--data="); !v7.empty()) a.data_dir = v7;
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      std::exit(2);
    }
  }
  a.oracle = std::min(a.oracle, a.queries);
  return a;
}

void normalise(float* v) {
  double s = 0;
  for (size_t i = 0; i < kDims; ++i) s += double(v[i]) * v[i];
  auto inv = float(1.0 / std::sqrt(s));
  for (size_t i = 0; i < kDims; ++i) v[i] *= inv;
}

// Rows of n unit vectors: around `centres` (when not empty) or uniformly random.
std::vector<float> draw(size_t n, const std::vector<float>& centres, std::mt19937_64& rng) {
  std::normal_distribution<float> unit(0.0f, 1.0f);
  std::normal_distribution<float> noise(0.0f, 0.3f / std::sqrt(float(kDims)));
  const size_t n_centres = centres.size() / kDims;
  std::vector<float> out(n * kDims);
  for (size_t i = 0; i < n; ++i) {
    float* row = out.data() + i * kDims;
    if (n_centres) {
      const float* c = centres.data() + (rng() % n_centres) * kDims;
      for (size_t j = 0; j < kDims; ++j) row[j] = c[j] + noise(rng);
    } else {
      for (size_t j = 0; j < kDims; ++j) row[j] = unit(rng);
    }
    normalise(row);
  }
  return out;
}

// Peak resident set of this process so far (kB), from /proc/self/status.
long vm_hwm_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  return -1;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void run(const std::string& name, const std::vector<float>& data, const std::vector<float>& queries,
         const Args& a) {
  const size_t n = data.size() / kDims, nq = queries.size() / kDims;
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = i;

  const long hwm_before = vm_hwm_kb();
  HnswIndex hnsw(kDims);  // M 16, ef_construction 200: the defaults the service uses
  auto t0 = std::chrono::steady_clock::now();
  if (auto st = hnsw.reserve(n); !st.ok()) { std::fprintf(stderr, "%s\n", st.message().c_str()); std::exit(1); }
  if (auto st = hnsw.add_batch(ids, data, a.threads); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    std::exit(1);
  }
  const double build_s = seconds_since(t0);
  const long hwm_after = vm_hwm_kb();
  const size_t mem = hnsw.memory_bytes();
  fmt::print("{}: n={} build {:.1f} s on {} threads ({:.0f} inserts/s); memory_bytes/n = {:.0f} B; "
             "VmHWM {} -> {} MiB (+{:.0f} B/vector)\n",
             name, n, build_s, a.threads, double(n) / build_s, double(mem) / double(n), hwm_before / 1024,
             hwm_after / 1024, double(hwm_after - hwm_before) * 1024.0 / double(n));
  std::fflush(stdout);

  // The oracle, for the first a.oracle queries.
  std::vector<std::unordered_set<uint64_t>> truth(a.oracle);
  {
    t0 = std::chrono::steady_clock::now();
    ExactIndex exact(kDims);
    for (size_t i = 0; i < n; ++i) (void)exact.add(ids[i], {data.data() + i * kDims, kDims});
    for (size_t q = 0; q < a.oracle; ++q) {
      auto r = exact.search({queries.data() + q * kDims, kDims}, kK);
      for (const auto& nb : *r) truth[q].insert(nb.id);
    }
    fmt::print("{}: exact oracle for {} queries in {:.1f} s\n", name, a.oracle, seconds_since(t0));
  }

  fmt::print("| data | n | ef_search | recall@10 | p50 us | p99 us |\n|---|---|---|---|---|---|\n");
  for (size_t ef : a.efs) {
    hnsw.set_ef_search(ef);
    std::vector<double> us(nq);
    size_t hits = 0;
    for (size_t q = 0; q < nq; ++q) {
      auto q0 = std::chrono::steady_clock::now();
      auto r = hnsw.search({queries.data() + q * kDims, kDims}, kK);
      us[q] = seconds_since(q0) * 1e6;
      if (q < a.oracle)
        for (const auto& nb : *r) hits += truth[q].count(nb.id);
    }
    std::sort(us.begin(), us.end());
    fmt::print("| {} | {} | {} | {:.4f} | {:.0f} | {:.0f} |\n", name, n, ef,
               double(hits) / double(a.oracle * kK), us[nq / 2], us[std::min(nq - 1, nq * 99 / 100)]);
    std::fflush(stdout);
  }
}

// Appends v to rows when it is not the zero vector (a text without any vocabulary word);
// returns whether it did.
bool append_nonzero(std::vector<float>& rows, std::span<const float> v) {
  if (std::all_of(v.begin(), v.end(), [](float x) { return x == 0.0f; })) return false;
  rows.insert(rows.end(), v.begin(), v.end());
  return true;
}

void run_debian(const Args& a) {
  auto texts = agentlearn::load_debian_packages(a.data_dir);
  if (!texts.ok()) {
    std::fprintf(stderr, "%s\n", texts.status().message().c_str());
    std::exit(1);
  }
  std::vector<std::vector<std::string>> docs;
  docs.reserve(texts->train_texts.size());
  for (const auto& t : texts->train_texts) docs.push_back(agentlearn::ml::tokenize(t));
  auto t0 = std::chrono::steady_clock::now();
  auto model = agentlearn::ml::Doc2Vec::train(docs, agentlearn::ml::Doc2VecParams{});
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().message().c_str());
    std::exit(1);
  }
  if (size_t(model->dimensions()) != kDims) {
    std::fprintf(stderr, "Doc2Vec gives %d dimensions, the bench wants %zu\n", model->dimensions(), kDims);
    std::exit(1);
  }
  const double train_s = seconds_since(t0);

  std::vector<float> train_rows, test_rows;
  size_t train_zero = 0, test_zero = 0;
  for (size_t i = 0; i < model->doc_count(); ++i) train_zero += !append_nonzero(train_rows, model->doc_vector(i));
  t0 = std::chrono::steady_clock::now();
  for (const auto& t : texts->test_texts) {
    auto v = model->infer(agentlearn::ml::tokenize(t));
    test_zero += !append_nonzero(test_rows, v);
  }
  const double infer_s = seconds_since(t0);
  fmt::print("debian: Doc2Vec trained on {} texts in {:.1f} s; {} test texts inferred in {:.1f} s; "
             "zero vectors left out: {} train, {} test\n",
             texts->train_texts.size(), train_s, texts->test_texts.size(), infer_s, train_zero, test_zero);
  std::fflush(stdout);

  Args da = a;
  da.queries = da.oracle = test_rows.size() / kDims;
  std::vector<float> all = train_rows;
  all.insert(all.end(), test_rows.begin(), test_rows.end());
  run("debian", all, test_rows, da);
  run("debian-heldout", train_rows, test_rows, da);
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  std::mt19937_64 rng(42);
  if (a.clustered) {
    auto centres = draw(1000, {}, rng);
    auto data = draw(a.n, centres, rng);
    auto queries = draw(a.queries, centres, rng);
    run("clustered", data, queries, a);
  }
  if (a.random) {
    auto data = draw(a.random_n, {}, rng);
    auto queries = draw(a.queries, {}, rng);
    run("random", data, queries, a);
  }
  if (a.debian) run_debian(a);
  return 0;
}
