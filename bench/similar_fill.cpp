// Fills a SQLite store for the similar-tasks load bench (bench/load/similar.sh):
// appends N synthetic executions, each its own task ("synthetic-<n>", a short distinct
// description), and their stored embeddings of the active model set's embedding version, as
// the background embedder would have written them. The vectors are vector_index_bench's
// clustered set: 256-d unit vectors around 1,000 random centres, Gaussian noise sd
// 0.3/sqrt(256) per coordinate, then normalised (fixed seed).
//   build/bench/similar_fill --db sqlite:PATH [--n=1000000] [--start=0] [--group=10000]
//                            [--centres=1000] [--seed=7]
// The store needs an active model set with an embedding_generator (import and train first).
// Executions go through StoreWriter in groups of --group rows per transaction, each group's
// embeddings through Store::save_embeddings right after it (ids as the writer returned them).
// Task ids synthetic-<start> .. synthetic-<start + n - 1>; a second call with --start=N
// appends more.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "metrics/registry.hpp"
#include "service/model_registry.hpp"
#include "service/similar_tasks.hpp"
#include "store/open_store.hpp"

namespace {

using namespace agentlearn;

struct Args {
  std::string db;
  size_t n = 1'000'000;
  size_t start = 0;
  size_t group = 10'000;
  size_t centres = 1000;
  uint64_t seed = 7;
};

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string_view s = argv[i];
    auto val = [&](std::string_view key, std::string& out) {
      if (!s.starts_with(key)) return false;
      out = std::string(s.substr(key.size()));
      return true;
    };
    std::string v;
    if (s == "--db" && i + 1 < argc) a.db = argv[++i];
    else if (val("--db=", v)) a.db = v;
    else if (val("--n=", v)) a.n = std::stoull(v);
    else if (val("--start=", v)) a.start = std::stoull(v);
    else if (val("--group=", v)) a.group = std::stoull(v);
    else if (val("--centres=", v)) a.centres = std::stoull(v);
    else if (val("--seed=", v)) a.seed = std::stoull(v);
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return false;
    }
  }
  return !a.db.empty() && a.group > 0 && a.centres > 0;
}

void normalise(std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  const auto inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : v) x *= inv;
}

int fail(const std::string& what, const Status& st) {
  std::fprintf(stderr, "similar_fill: %s: %s\n", what.c_str(), st.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: similar_fill --db sqlite:PATH [--n=1000000] [--start=0] [--group=10000] "
                 "[--centres=1000] [--seed=7]\n");
    return 2;
  }
  auto store = open_store(args.db);
  if (!store.ok()) return fail("open " + args.db, store.status());
  if (Status st = (*store)->migrate(); !st.ok()) return fail("migrate", st);

  metrics::Registry registry;
  ModelRegistry models((*store)->models(), registry);
  if (auto synced = models.sync_from_store(); !synced.ok()) return fail("load the active model set", synced.status());
  auto active = models.active();
  const std::string version = active ? embedding_version_of(*active->set) : std::string();
  if (version.empty()) {
    std::fprintf(stderr, "similar_fill: no active model set with an embedding_generator (import and train first)\n");
    return 1;
  }
  const auto dims = static_cast<size_t>(active->set->embedding_generator().dimensions());

  std::mt19937_64 rng(args.seed);
  std::normal_distribution<float> gauss(0.0F, 1.0F);
  std::vector<std::vector<float>> centres(args.centres, std::vector<float>(dims));
  for (auto& c : centres) {
    for (float& x : c) x = gauss(rng);
    normalise(c);
  }
  const float noise = 0.3F / std::sqrt(static_cast<float>(dims));
  std::uniform_int_distribution<size_t> pick(0, args.centres - 1);
  std::lognormal_distribution<double> seconds(3.0, 1.0);
  std::bernoulli_distribution succeeded(0.7);

  auto writer = (*store)->executions().open_writer();
  if (!writer.ok()) return fail("open a writer", writer.status());
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t now = now_us();
  std::vector<Execution> rows;
  std::vector<const Execution*> ptrs;
  std::vector<int64_t> ids;
  std::vector<EmbeddingRecord> embeddings;
  for (size_t done = 0; done < args.n;) {
    const size_t count = std::min(args.group, args.n - done);
    rows.assign(count, Execution{});
    ptrs.clear();
    for (size_t i = 0; i < count; ++i) {
      const size_t n = args.start + done + i;
      Execution& e = rows[i];
      e.agent_id = fmt::format("synthetic-agent-{}", n % 50);
      e.task_id = fmt::format("synthetic-{}", n);
      e.task_description = fmt::format("Synthetic task {}: fix the failing check {} in module {} of service {}", n,
                                       n % 997, n % 97, n % 13);
      e.task_type = fmt::format("synthetic-type-{}", n % 8);
      e.execution_id = e.task_id;
      e.execution_time = seconds(rng);
      e.success = succeeded(rng);
      e.timestamp_us = now - static_cast<int64_t>(args.n - done - i) * 1000;
      e.content_hash = fmt::format("{:016x}", n);
      ptrs.push_back(&e);
    }
    Status st = (*writer)->begin();
    if (st.ok()) st = (*writer)->insert(ptrs, now, ids);
    if (st.ok()) st = (*writer)->commit();
    if (!st.ok()) {
      (*writer)->rollback();
      return fail("insert executions", st);
    }
    embeddings.resize(count);
    for (size_t i = 0; i < count; ++i) {
      EmbeddingRecord& r = embeddings[i];
      r.id = ids[i];
      r.task_id = rows[i].task_id;
      r.task_key = task_key(r.task_id);
      r.version = version;
      const std::vector<float>& c = centres[pick(rng)];
      r.vector.resize(dims);
      for (size_t d = 0; d < dims; ++d) r.vector[d] = c[d] + noise * gauss(rng);
      normalise(r.vector);
    }
    if (Status saved = (*store)->embeddings().save_embeddings(embeddings); !saved.ok()) return fail("save embeddings", saved);
    done += count;
    if (done % 100'000 < count || done == args.n) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "similar_fill: %zu / %zu executions with embeddings (%.1f s)\n", done, args.n, s);
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("filled %zu executions and embeddings of %s in %.1f s (%.0f rows/s)\n", args.n, version.c_str(), s,
              static_cast<double>(args.n) / s);
  return 0;
}
