#include "service/similar_tasks.hpp"
#include "core/elapsed.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unordered_set>

#include "core/durable_file.hpp"
#include "core/hash.hpp"
#include "service/thread_priority.hpp"

namespace agentlearn {
namespace {

// The index file's companion: which embedding version the index holds and through which
// execution id. Written after the index, removed before it is rewritten, so a crash while
// saving leaves no description and the next start rebuilds.
struct IndexMeta {
  std::string version;
  int64_t watermark = 0;
  size_t size = 0;
};

std::string meta_path(const std::string& index_file) { return index_file + ".meta"; }

bool read_meta(const std::string& path, IndexMeta& meta) {
  std::ifstream in(path);
  return static_cast<bool>(std::getline(in, meta.version) && in >> meta.watermark >> meta.size);
}

Status write_meta(const std::string& path, const IndexMeta& meta) {
  return write_file_durably(path, meta.version + '\n' + std::to_string(meta.watermark) + '\n' +
                                      std::to_string(meta.size) + '\n');
}

}  // namespace

std::string embedding_version_of(const ml::ModelSet& set) {
  if (!set.has_embedding_generator()) return {};
  for (const auto& v : set.versions()) {
    if (v.model == "embedding_generator") return v.version;
  }
  return {};
}

SimilarTasks::SimilarTasks(EmbeddingStore& store, const ModelRegistry& models, SimilarityOptions options,
                           metrics::Registry& registry)
    : store_(store),
      models_(models),
      options_(std::move(options)),
      last_sweep_(std::chrono::steady_clock::now()),
      embedded_(registry.counter("embeddings_computed_total",
                                 "Task embeddings computed and stored by the background embedder")
                    .labels()),
      searches_(registry.counter("similar_task_searches_total", "Similar-task searches answered").labels()) {
  // The registry may outlive this object: the gauges read a shared copy the worker updates.
  auto gauges = gauges_;
  registry.gauge_callback("similar_index_tasks", "Tasks in the similar-task index",
                          [gauges] { return static_cast<double>(gauges->tasks.load()); });
  registry.gauge_callback("similar_index_memory_bytes", "Bytes the similar-task index holds",
                          [gauges] { return static_cast<double>(gauges->bytes.load()); });
}

void SimilarTasks::publish_gauges() {
  auto gen = current();
  gauges_->tasks.store(gen ? gen->index->size() : 0);
  gauges_->bytes.store(gen ? gen->index->memory_bytes() : 0);
}

SimilarTasks::~SimilarTasks() { stop(); }

void SimilarTasks::start() {
  if (thread_.joinable() || !options_.enabled) return;
  thread_ = std::thread([this] { loop(); });
}

void SimilarTasks::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cancel_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard work(work_mu_);
  auto gen = current();
  if (gen && dirty_) {
    if (Status st = save_index(*gen, cursor_); !st.ok()) spdlog::warn("similar tasks: {}", st.message());
  }
}

void SimilarTasks::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_one();
}

std::shared_ptr<SimilarTasks::Generation> SimilarTasks::current() const {
  std::lock_guard lock(gen_mu_);
  return current_;
}

void SimilarTasks::loop() {
  if (!set_background_priority(options_.priority)) spdlog::warn("could not lower the embedder thread's priority");
  std::unique_lock lock(mu_);
  std::string last_error;
  bool poked = true;  // at start: whatever the store holds
  while (!stopping_) {
    poked = poked || poked_;
    poked_ = false;
    lock.unlock();
    bool sweep = std::chrono::steady_clock::now() - last_sweep_ >= options_.sweep_interval;
    Status st;
    {
      std::lock_guard work(work_mu_);
      st = step(poked, sweep);
    }
    // A failed step is tried again on the next wake-up, poked or not.
    poked = !st.ok();
    publish_gauges();
    // One line per distinct failure, not one per second while the store is down.
    if (!st.ok() && st.message() != last_error && !cancel_.load()) spdlog::warn("similar tasks: {}", st.message());
    last_error = st.ok() ? std::string() : st.message();
    lock.lock();
    // Also wakes without a poke: a new model set, another replica's executions.
    cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || poked_; });
  }
}

Status SimilarTasks::sync_now() {
  if (!options_.enabled) return Status::Ok();
  Status st;
  {
    std::lock_guard work(work_mu_);
    // A step that finds a new embedding only rebuilds the index from the vectors already
    // stored for it; the second embeds every run that has none yet.
    st = step(true, false);
    if (st.ok()) st = step(true, false);
  }
  publish_gauges();
  return st;
}

Status SimilarTasks::step(bool poked, bool sweep) {
  auto active = models_.active();
  if (!active) return Status::Ok();  // nothing to embed with yet
  std::string version = embedding_version_of(*active->set);
  if (version.empty()) return Status::Ok();  // this set has no embedding_generator
  auto gen = current();
  if (!gen || gen->version != version) return rebuild(active->set, version);
  if (gen->models != active->set) {
    // A new set that kept the embedding: same vectors, same index; queries embed with it.
    auto next = std::make_shared<Generation>(Generation{active->set, version, gen->index});
    std::lock_guard lock(gen_mu_);
    current_ = next;
    gen = next;
  }
  // Without a poke nothing new was recorded here: the store is not read (another replica's
  // executions are found by the sweep).
  if (!poked && !sweep) return Status::Ok();
  if (sweep) last_sweep_ = std::chrono::steady_clock::now();
  auto through = embed_pending(*gen, sweep ? 0 : cursor_);
  if (!through.ok()) return through.status();
  cursor_ = std::max(cursor_, *through);
  embedded_through_.store(cursor_);
  return Status::Ok();
}

const std::vector<float>& SimilarTasks::embed_cached(const ml::ModelSet& models, std::string_view text) {
  uint64_t h = hash64(text);
  auto it = text_cache_.find(h);
  if (it != text_cache_.end()) return it->second;
  // A whole-cache reset when full: cheap, and the texts that repeat (one task, many agents)
  // arrive close together.
  if (text_cache_.size() >= options_.text_cache_entries) text_cache_.clear();
  return text_cache_.emplace(h, models.embed(text)).first->second;
}

StatusOr<int64_t> SimilarTasks::embed_pending(Generation& gen, int64_t after_id) {
  if (cache_version_ != gen.version) {
    text_cache_.clear();
    cache_version_ = gen.version;
  }
  std::vector<EmbeddingRecord> page;
  int64_t through = after_id;
  while (true) {
    page.clear();
    Status st = store_.scan_unembedded(gen.version, through, options_.embed_batch, [&](const TextRow& row) {
      EmbeddingRecord& r = page.emplace_back();
      r.id = row.id;
      r.task_id.assign(row.task_id);
      r.task_key = task_key(row.task_id);
      r.version = gen.version;
      r.vector = embed_cached(*gen.models, row.description);
    });
    if (!st.ok()) return st;
    if (page.empty()) return through;
    if (Status saved = sink_ ? sink_(page) : store_.save_embeddings(page); !saved.ok()) return saved;
    forget_runs(page);
    embedded_.inc(static_cast<double>(page.size()));
    for (const EmbeddingRecord& r : page) {
      through = r.id;
      if (gen.index->contains(r.task_key)) continue;  // the task's first run stands for it
      if (Status added = gen.index->add(r.task_key, r.vector); !added.ok()) {
        spdlog::debug("similar tasks: execution {} not indexed: {}", r.id, added.message());
        continue;
      }
      dirty_ = true;
    }
    if (page.size() < options_.embed_batch) return through;
    if (cancel_.load()) return Status::Unavailable("stopping");
  }
}

std::unique_ptr<index::HnswIndex> SimilarTasks::load_saved(const std::string& version, int64_t& watermark,
                                                           std::string& why) const {
  IndexMeta meta;
  if (options_.index_file.empty()) {
    why = "no index file configured";
    return nullptr;
  }
  if (!read_meta(meta_path(options_.index_file), meta)) {
    why = "no saved index";
    return nullptr;
  }
  if (meta.version != version) {
    why = "the saved index holds " + meta.version;
    return nullptr;
  }
  auto index = index::HnswIndex::load(options_.index_file);
  if (!index.ok()) {
    why = index.status().message();
    return nullptr;
  }
  // The store must hold exactly the tasks the file does through its watermark; a file from
  // another database, or from before a restore, fails this.
  auto tasks = store_.count_embedded_tasks(version, meta.watermark);
  if (!tasks.ok()) {
    why = tasks.status().message();
    return nullptr;
  }
  if (static_cast<size_t>(*tasks) != (*index)->size() || meta.size != (*index)->size()) {
    why = "the saved index is stale (" + std::to_string((*index)->size()) + " tasks, the store " +
          std::to_string(*tasks) + ")";
    return nullptr;
  }
  (*index)->set_ef_search(options_.hnsw.ef_search);
  watermark = meta.watermark;
  return std::move(index).value();
}

Status SimilarTasks::save_index(const Generation& gen, int64_t watermark) const {
  if (options_.index_file.empty()) return Status::Ok();
  std::error_code ec;
  auto dir = std::filesystem::path(options_.index_file).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  std::filesystem::remove(meta_path(options_.index_file), ec);
  if (Status st = gen.index->save(options_.index_file); !st.ok()) return st;
  if (Status st = write_meta(meta_path(options_.index_file), {gen.version, watermark, gen.index->size()});
      !st.ok()) {
    return st;
  }
  return Status::Ok();
}

Status SimilarTasks::rebuild(std::shared_ptr<const ml::ModelSet> models, const std::string& version) {
  const auto t0 = std::chrono::steady_clock::now();
  building_.store(true);
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag.store(false); }
  } done{building_};

  auto gen = std::make_shared<Generation>();
  gen->models = std::move(models);
  gen->version = version;
  int64_t watermark = 0;
  std::string why;
  std::string source = "file";
  // Room for what the store holds and a tenth more, allocated before the index serves:
  // growing it later reallocates the whole graph while searches wait (about a second at 1M),
  // and growing it step by step during the build reallocated it a dozen times.
  auto tasks = store_.count_embedded_tasks(version, std::numeric_limits<int64_t>::max());
  if (!tasks.ok()) return tasks.status();
  const auto room = static_cast<size_t>(*tasks) + static_cast<size_t>(*tasks) / 10 + 1024;
  if (auto saved = load_saved(version, watermark, why)) {
    gen->index = std::move(saved);
  } else {
    spdlog::info("similar tasks: building the index for {} from the store ({})", version, why);
    source = "store";
    auto dims = static_cast<size_t>(gen->models->embedding_generator().dimensions());
    gen->index = std::make_shared<index::HnswIndex>(dims, options_.hnsw);
  }
  if (gen->index->capacity() < room) {
    if (Status st = gen->index->reserve(room); !st.ok()) return st;
  }
  // Vectors of this version stored after the file's watermark (all of them when building
  // from the store), in batches inserted on build_threads threads.
  {
    constexpr size_t kBatch = 8192;
    std::vector<uint64_t> ids;
    std::vector<float> rows;
    std::unordered_set<uint64_t> in_batch;
    size_t dims = gen->index->dimensions();
    std::vector<float> unit;
    auto flush = [&]() -> Status {
      if (ids.empty()) return Status::Ok();
      if (gen->index->capacity() < gen->index->size() + ids.size()) {
        if (Status st = gen->index->reserve((gen->index->size() + ids.size()) * 3 / 2); !st.ok()) return st;
      }
      Status st = gen->index->add_batch(ids, rows, options_.build_threads);
      ids.clear();
      rows.clear();
      in_batch.clear();
      return st;
    };
    // In pages, so that a server asked to stop gives up between batches (cancel_).
    constexpr size_t kPage = 65536;
    Status bad;
    for (size_t got = kPage; got == kPage;) {
      if (cancel_.load()) return Status::Unavailable("stopping");
      got = 0;
      Status st = store_.scan_embeddings(version, watermark, kPage, [&](const EmbeddingRecord& r) {
        ++got;
        watermark = std::max(watermark, r.id);
        if (!bad.ok() || in_batch.count(r.task_key) || gen->index->contains(r.task_key)) return;
        if (!index::normalize_into(r.vector, dims, unit).ok()) return;  // not indexable; skipped
        ids.push_back(r.task_key);
        in_batch.insert(r.task_key);
        rows.insert(rows.end(), unit.begin(), unit.end());
        if (ids.size() >= kBatch) bad = cancel_.load() ? Status::Unavailable("stopping") : flush();
      });
      if (!st.ok()) return st;
      if (!bad.ok()) return bad;
    }
    if (Status f = flush(); !f.ok()) return f;
  }
  // Executions without a vector of this version: new ones, and every one after a new
  // embedding (recomputed here while the old index keeps serving).
  auto through = embed_pending(*gen, 0);
  if (!through.ok()) return through.status();
  {
    std::lock_guard lock(gen_mu_);
    current_ = gen;
  }
  cursor_ = std::max(watermark, *through);
  embedded_through_.store(cursor_);
  last_sweep_ = std::chrono::steady_clock::now();
  double seconds = seconds_since(t0);
  last_build_seconds_.store(seconds);
  {
    std::lock_guard lock(build_info_mu_);
    last_build_source_ = source;
  }
  spdlog::info("similar tasks: index for {} ready: {} tasks in {:.2f} s (from the {})", version,
               gen->index->size(), seconds, source);
  dirty_ = false;
  if (source == "store" || gen->index->size() > 0) {
    if (Status st = save_index(*gen, cursor_); !st.ok()) {
      spdlog::warn("similar tasks: cannot save the index: {}", st.message());
      dirty_ = true;
    }
  }
  return Status::Ok();
}

StatusOr<SimilarAnswer> SimilarTasks::search(const SimilarQuery& q) const {
  // Only a transient state is Unavailable (503 with Retry-After): a client that honours
  // Retry-After would otherwise ask forever for what no retry can bring.
  if (!options_.enabled) {
    return Status::Conflict("similar tasks are turned off on this server (config similar_tasks: false)")
        .with_reason("similar_tasks_disabled");
  }
  auto gen = current();
  if (!gen) {
    if (building_.load()) return Status::Unavailable("the similar-task index is being built; retry shortly");
    return Status::Conflict(
               "similar tasks need an active model set with an embedding_generator; none is active yet "
               "(POST /learning/train once executions with task descriptions are recorded)")
        .with_reason("no_model_set");
  }
  std::vector<float> vector;
  std::optional<uint64_t> self;
  if (!q.task_id.empty()) {
    self = task_key(q.task_id);
    vector = gen->index->vector(*self);
    if (vector.empty()) {
      return Status{StatusCode::kNotFound,
                    "task_id '" + q.task_id +
                        "' has no embedded execution (unknown, recorded without a task_description, "
                        "or not embedded yet)",
                    "task_id"};
    }
  } else {
    vector = gen->models->embed(q.text);
  }
  SimilarAnswer answer;
  answer.embedding_version = gen->version;
  answer.source = q.database ? "database" : "index";
  // A text of words the embedding never saw has no direction: nothing is like it.
  if (std::all_of(vector.begin(), vector.end(), [](float x) { return x == 0.0f; })) {
    answer.note = "the query shares no word with the texts the embedding was trained on, so no past task is "
                  "similar to it at any min_similarity";
    return answer;
  }
  const double min = q.min_similarity.value_or(options_.threshold);
  const size_t want = q.k + (self ? 1 : 0);
  std::vector<std::pair<uint64_t, double>> hits;
  if (q.database) {
    auto found = store_.nearest_tasks(vector, gen->version, want);
    if (!found.ok()) return found.status();
    for (const TaskMatch& m : *found) {
      if (m.similarity >= min) hits.emplace_back(m.task_key, m.similarity);
    }
  } else {
    auto found = gen->index->search(vector, want, static_cast<float>(min));
    if (!found.ok()) return found.status();
    for (const index::Neighbor& n : *found) hits.emplace_back(n.id, n.similarity);
  }
  if (self) std::erase_if(hits, [&](const auto& h) { return h.first == *self; });
  if (hits.size() > q.k) hits.resize(q.k);
  searches_.inc();
  if (hits.empty()) return answer;
  std::vector<uint64_t> keys;
  keys.reserve(hits.size());
  for (const auto& h : hits) keys.push_back(h.first);
  auto tasks = runs_of(keys);
  if (!tasks.ok()) return tasks.status();
  for (size_t i = 0; i < hits.size(); ++i) {
    const TaskRuns* t = (*tasks)[i].get();
    if (t == nullptr) continue;  // indexed, but no longer in the store
    answer.results.push_back({t->task_id, t->description, hits[i].second, t->total_runs, t->runs});
  }
  return answer;
}

StatusOr<std::vector<std::shared_ptr<const TaskRuns>>> SimilarTasks::runs_of(std::span<const uint64_t> keys) const {
  std::vector<std::shared_ptr<const TaskRuns>> out(keys.size());
  std::vector<uint64_t> missing;
  const auto now = std::chrono::steady_clock::now();
  {
    std::shared_lock lock(runs_mu_);
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = runs_cache_.find(keys[i]);
      if (it != runs_cache_.end() && now - it->second.fetched < options_.runs_cache_ttl) {
        out[i] = it->second.runs;
      } else {
        missing.push_back(keys[i]);
      }
    }
  }
  if (missing.empty()) return out;
  auto fetched = store_.task_runs(missing, options_.runs_per_task);
  if (!fetched.ok()) return fetched.status();
  std::unordered_map<uint64_t, std::shared_ptr<const TaskRuns>> by_key;
  for (TaskRuns& t : *fetched) {
    uint64_t key = t.task_key;
    by_key.emplace(key, std::make_shared<const TaskRuns>(std::move(t)));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (out[i]) continue;
    auto it = by_key.find(keys[i]);
    if (it != by_key.end()) out[i] = it->second;
  }
  std::unique_lock lock(runs_mu_);
  // A whole-cache reset when full: the hot tasks come back on their next answer.
  if (runs_cache_.size() + by_key.size() > options_.runs_cache_entries) runs_cache_.clear();
  for (auto& [key, runs] : by_key) runs_cache_[key] = {std::move(runs), now};
  return out;
}

void SimilarTasks::forget_runs(std::span<const EmbeddingRecord> rows) {
  std::unique_lock lock(runs_mu_);
  if (runs_cache_.empty()) return;
  for (const EmbeddingRecord& r : rows) runs_cache_.erase(r.task_key);
}

SimilarityStatus SimilarTasks::status() const {
  SimilarityStatus s;
  auto gen = current();
  s.building = building_.load();
  if (gen) {
    s.ready = true;
    s.embedding_version = gen->version;
    s.indexed_tasks = gen->index->size();
    s.memory_bytes = gen->index->memory_bytes();
  }
  s.embedded_through_id = embedded_through_.load();
  s.embedded_total = static_cast<uint64_t>(embedded_.value());
  s.last_build_seconds = last_build_seconds_.load();
  std::lock_guard lock(build_info_mu_);
  s.last_build_source = last_build_source_;
  return s;
}

}  // namespace agentlearn
