// The models' speed: one recommendation's worth of model compute for 24 candidate agents
// (the embedding of an unseen ~60-word text, its text cluster, the task classifier, the feature rows, the
// selector and the predictor over all candidates), over 10,000 distinct texts, with
// p50/p99/max per recommendation; and training all five on the 12,000 SWE-bench runs. Reads
// ../shared/data. Run on one core for the recommendation figure:
//   taskset -c 0 build/bench/model_compute_bench --benchmark_filter=Recommend
//   build/bench/model_compute_bench --benchmark_filter=Train      (2 training threads)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "app/evaluation_data.hpp"
#include "ml/model_set.hpp"
#include "ml/tokenizer.hpp"

namespace {

using agentlearn::Execution;
namespace ml = agentlearn::ml;

const std::vector<Execution>& swebench() {
  static const std::vector<Execution> rows = [] {
    auto r = agentlearn::load_swebench_executions(AGENTLEARN_SHARED_DATA);
    if (!r.ok()) {
      std::cerr << r.status().message() << "\n";
      std::exit(1);
    }
    return std::move(*r);
  }();
  return rows;
}

// Never destroyed: freeing XGBoost boosters after libxgboost's own static state is gone
// (at exit) corrupts the heap.
const ml::ModelSet& trained() {
  static const ml::ModelSet* set = [] {
    auto s = ml::ModelSet::train(swebench(), ml::ModelParams{});
    if (!s.ok()) {
      std::cerr << s.status().message() << "\n";
      std::exit(1);
    }
    return new std::shared_ptr<const ml::ModelSet>(*s);
  }()->get();
  return *set;
}

// 10,000 distinct unseen texts of 60 words: windows over the Debian package descriptions
// (another corpus than the one trained on, so most words and every text are new).
std::vector<std::string> unseen_texts(size_t n) {
  auto debian = agentlearn::load_debian_packages(AGENTLEARN_SHARED_DATA);
  if (!debian.ok()) {
    std::cerr << debian.status().message() << "\n";
    std::exit(1);
  }
  std::vector<std::string> words;
  for (const auto& t : debian->train_texts) {
    for (auto& w : ml::tokenize(t)) words.push_back(std::move(w));
  }
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (size_t start = 0; out.size() < n; start += 37) {
    std::string text;
    for (size_t k = 0; k < 60; ++k) {
      if (k) text += ' ';
      text += words[(start + k) % words.size()];
    }
    if (seen.insert(text).second) out.push_back(std::move(text));
  }
  return out;
}

void BM_RecommendCompute24Candidates(benchmark::State& state) {
  const ml::ModelSet& set = trained();
  std::vector<std::string> agents;
  for (const auto& [agent, runs] : set.features().agents()) agents.push_back(agent);
  agents.resize(std::min<size_t>(agents.size(), 24));
  const std::vector<std::string> texts = unseen_texts(10000);
  const std::string context = R"({"repository":"django/django","difficulty":"15 min - 1 hour","underspecified":1})";
  std::vector<double> micros;
  micros.reserve(texts.size());
  size_t i = 0;
  for (auto _ : state) {
    const std::string& text = texts[i++ % texts.size()];
    auto t0 = std::chrono::steady_clock::now();
    auto estimate = set.estimate(ml::TaskQuery{text, "", context}, agents);
    auto t1 = std::chrono::steady_clock::now();
    if (!estimate.ok()) {
      state.SkipWithError(estimate.status().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(estimate->candidates.data());
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double q) { return micros[std::min(micros.size() - 1, static_cast<size_t>(q * micros.size()))]; };
  state.counters["candidates"] = static_cast<double>(agents.size());
  state.counters["texts"] = static_cast<double>(std::min(micros.size(), texts.size()));
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["max_us"] = micros.back();
}
BENCHMARK(BM_RecommendCompute24Candidates)->Iterations(10000)->Unit(benchmark::kMicrosecond);

// Each step of a recommendation alone, to see where the time goes.
void BM_EmbedText60Words(benchmark::State& state) {
  const ml::ModelSet& set = trained();
  const std::vector<std::string> texts = unseen_texts(2000);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(set.embed(texts[i++ % texts.size()]).data());
}
BENCHMARK(BM_EmbedText60Words)->Unit(benchmark::kMicrosecond);

void BM_ClassifyText(benchmark::State& state) {
  const ml::ModelSet& set = trained();
  const std::vector<std::string> texts = unseen_texts(2000);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(set.task_classifier().predict(texts[i++ % texts.size()]).probability);
}
BENCHMARK(BM_ClassifyText)->Unit(benchmark::kMicrosecond);

void BM_TrainAllFiveOnSwebench(benchmark::State& state) {
  const auto& rows = swebench();
  for (auto _ : state) {
    auto s = ml::ModelSet::train(rows, ml::ModelParams{});
    if (!s.ok()) {
      state.SkipWithError(s.status().message().c_str());
      return;
    }
    for (const auto& r : (*s)->training_report()) state.counters[r.model + "_s"] = r.seconds;
  }
  state.counters["executions"] = static_cast<double>(rows.size());
}
BENCHMARK(BM_TrainAllFiveOnSwebench)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

namespace {

// The candidates' feature rows, and the two tree models over them (24 rows a call).
struct CandidateRows {
  std::vector<std::string> agents;
  ml::DenseMatrix x;
};
const CandidateRows& candidate_rows() {
  static const CandidateRows rows = [] {
    const ml::ModelSet& set = trained();
    CandidateRows r;
    for (const auto& [agent, runs] : set.features().agents()) r.agents.push_back(agent);
    r.agents.resize(std::min<size_t>(r.agents.size(), 24));
    auto prepared = set.features().prepare(ml::TaskQuery{"fix the parser", "django/django", "{}"}, {});
    r.x = ml::DenseMatrix(r.agents.size(), set.features().width());
    for (size_t i = 0; i < r.agents.size(); ++i) set.features().fill(prepared, r.agents[i], r.x.row(i));
    return r;
  }();
  return rows;
}

void BM_FeatureRows24(benchmark::State& state) {
  const ml::ModelSet& set = trained();
  const CandidateRows& rows = candidate_rows();
  const std::string context = R"({"repository":"django/django","difficulty":"15 min - 1 hour","underspecified":1})";
  ml::DenseMatrix x(rows.agents.size(), set.features().width());
  for (auto _ : state) {
    auto prepared = set.features().prepare(ml::TaskQuery{"fix the parser", "django/django", context}, {});
    for (size_t i = 0; i < rows.agents.size(); ++i) set.features().fill(prepared, rows.agents[i], x.row(i));
    benchmark::DoNotOptimize(x.data());
  }
}
BENCHMARK(BM_FeatureRows24)->Unit(benchmark::kMicrosecond);

void BM_SelectorPredict24(benchmark::State& state) {
  const CandidateRows& rows = candidate_rows();
  std::vector<float> out;
  for (auto _ : state) {
    if (!trained().agent_selector().predict(rows.x, out).ok()) state.SkipWithError("predict failed");
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_SelectorPredict24)->Unit(benchmark::kMicrosecond);

// One row: the fixed cost of a prediction call (XGBoost's array-interface parsing, its
// thread-local buffers) apart from the tree walks.
void BM_SelectorPredict1(benchmark::State& state) {
  const CandidateRows& rows = candidate_rows();
  ml::DenseMatrix one;
  one.push_row(rows.x.row(0));
  std::vector<float> out;
  for (auto _ : state) {
    if (!trained().agent_selector().predict(one, out).ok()) state.SkipWithError("predict failed");
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_SelectorPredict1)->Unit(benchmark::kMicrosecond);

void BM_PredictorPredict24(benchmark::State& state) {
  const CandidateRows& rows = candidate_rows();
  std::vector<float> t, c;
  for (auto _ : state) {
    if (!trained().performance_predictor().predict(rows.x, t, c).ok()) state.SkipWithError("predict failed");
    benchmark::DoNotOptimize(t.data());
  }
}
BENCHMARK(BM_PredictorPredict24)->Unit(benchmark::kMicrosecond);

}  // namespace
