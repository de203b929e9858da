#include "index/vector_index.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

// hnswlib is header-only and lives in /usr/include (Debian's libhnswlib-dev), so its own
// warnings stay out of our -Werror build. Only this file includes it.
#include <hnswlib/hnswlib.h>

#include "core/byte_io.hpp"
#include "core/durable_file.hpp"
#include "core/hash.hpp"

namespace agentlearn::index {

namespace {

// Most similar first; equal similarities by id, so results do not depend on insertion order.
bool better(const Neighbor& a, const Neighbor& b) {
  return a.similarity != b.similarity ? a.similarity > b.similarity : a.id < b.id;
}

void order_and_trim(std::vector<Neighbor>& out, size_t k, float min_similarity) {
  std::erase_if(out, [&](const Neighbor& n) { return n.similarity < min_similarity; });
  if (out.size() > k) {
    std::nth_element(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k), out.end(), better);
    out.resize(k);
  }
  std::sort(out.begin(), out.end(), better);
}

// --- files ---------------------------------------------------------------------------
// Both formats end in (or, for HNSW, carry) a content hash, so a torn or bit-flipped file is
// refused instead of being parsed. The index is a cache of what the store holds: refusing
// means "rebuild", never "serve garbage".

constexpr size_t kHashHexLen = 32;
constexpr size_t kChunk = size_t{1} << 20;

std::string hash_of(std::string_view bytes) {
  ContentHasher h;
  for (size_t pos = 0; pos < bytes.size(); pos += kChunk) h.add(bytes.substr(pos, kChunk));
  return h.hex();
}

StatusOr<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Internal("cannot read " + path);
  return bytes;
}

// Streams a (possibly gigabyte) file through the same chunked hash as hash_of.
StatusOr<std::string> hash_file(const std::string& path, uint64_t& size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  ContentHasher h;
  std::string buf(kChunk, '\0');
  size = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    h.add(std::string_view(buf.data(), got));
    size += got;
  }
  if (in.bad()) return Status::Internal("cannot read " + path);
  return h.hex();
}

// Body followed by the hex hash of the body.
Status save_with_hash(const std::string& path, std::string body) {
  body += hash_of(body);
  return write_file_durably(path, body);
}

// Reads a file save_with_hash wrote and checks its magic; returns the body without them.
StatusOr<std::string> load_with_hash(const std::string& path, std::string_view magic) {
  auto bytes = read_file(path);
  if (!bytes.ok()) return bytes.status();
  std::string& b = *bytes;
  if (b.size() < magic.size() + kHashHexLen || b.compare(0, magic.size(), magic) != 0)
    return Status::Invalid(path + " is not a vector index file");
  std::string body = b.substr(0, b.size() - kHashHexLen);
  if (hash_of(body) != b.substr(b.size() - kHashHexLen))
    return Status::Invalid(path + " is corrupt (content hash mismatch)");
  return body.substr(magic.size());
}

constexpr std::string_view kExactMagic = "AL-VIX-EXACT-1\n";
constexpr std::string_view kHnswMagic = "AL-VIX-HNSW-1\n";
constexpr size_t kMaxDimensions = 1 << 16;

}  // namespace

Status normalize_into(std::span<const float> in, size_t dimensions, std::vector<float>& out) {
  if (in.size() != dimensions)
    return Status::Invalid("vector has " + std::to_string(in.size()) + " dimensions, the index " +
                               std::to_string(dimensions),
                           "embedding");
  double norm2 = 0;
  for (float x : in) {
    if (!std::isfinite(x)) return Status::Invalid("vector has a non-finite value", "embedding");
    norm2 += static_cast<double>(x) * x;
  }
  if (!(norm2 > 0)) return Status::Invalid("vector is zero: it has no direction", "embedding");
  auto inv = static_cast<float>(1.0 / std::sqrt(norm2));
  out.resize(dimensions);
  for (size_t i = 0; i < dimensions; ++i) out[i] = in[i] * inv;
  return Status::Ok();
}

// ===================================== ExactIndex =====================================

struct ExactIndex::State {
  std::vector<float> data;           // slot-major rows of unit vectors
  std::vector<uint64_t> ids;         // slot -> id
  std::unordered_map<uint64_t, size_t> slots;  // id -> slot
  mutable std::shared_mutex mu;      // the oracle keeps it simple: writers exclusive
};

ExactIndex::ExactIndex(size_t dimensions) : dims_(dimensions), s_(std::make_unique<State>()) {}
ExactIndex::~ExactIndex() = default;

Status ExactIndex::add(uint64_t id, std::span<const float> vector) {
  std::vector<float> v;
  if (auto st = normalize_into(vector, dims_, v); !st.ok()) return st;
  std::unique_lock lock(s_->mu);
  auto [it, inserted] = s_->slots.try_emplace(id, s_->ids.size());
  if (inserted) {
    s_->ids.push_back(id);
    s_->data.insert(s_->data.end(), v.begin(), v.end());
  } else {
    std::copy(v.begin(), v.end(), s_->data.begin() + static_cast<std::ptrdiff_t>(it->second * dims_));
  }
  return Status::Ok();
}

bool ExactIndex::remove(uint64_t id) {
  std::unique_lock lock(s_->mu);
  auto it = s_->slots.find(id);
  if (it == s_->slots.end()) return false;
  // Swap the last row into the hole: removal stays O(dimensions).
  size_t slot = it->second, last = s_->ids.size() - 1;
  if (slot != last) {
    std::copy_n(s_->data.begin() + static_cast<std::ptrdiff_t>(last * dims_), dims_,
                s_->data.begin() + static_cast<std::ptrdiff_t>(slot * dims_));
    s_->ids[slot] = s_->ids[last];
    s_->slots[s_->ids[slot]] = slot;
  }
  s_->ids.pop_back();
  s_->data.resize(last * dims_);
  s_->slots.erase(it);
  return true;
}

StatusOr<std::vector<Neighbor>> ExactIndex::search(std::span<const float> query, size_t k,
                                                   float min_similarity) const {
  std::vector<float> q;
  if (auto st = normalize_into(query, dims_, q); !st.ok()) return st;
  std::shared_lock lock(s_->mu);
  const size_t n = s_->ids.size();
  std::vector<Neighbor> out;
  if (k == 0 || n == 0) return out;
  // One matrix-vector product (Eigen vectorises it; a plain loop would not be, since the
  // float sum may not be reordered without -ffast-math).
  Eigen::Map<const Eigen::MatrixXf> rows(s_->data.data(), static_cast<Eigen::Index>(dims_),
                                         static_cast<Eigen::Index>(n));
  Eigen::Map<const Eigen::VectorXf> qv(q.data(), static_cast<Eigen::Index>(dims_));
  Eigen::VectorXf scores = rows.transpose() * qv;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    float sim = std::clamp(scores[static_cast<Eigen::Index>(i)], -1.0f, 1.0f);
    if (sim >= min_similarity) out.push_back({s_->ids[i], sim});
  }
  order_and_trim(out, k, min_similarity);
  return out;
}

bool ExactIndex::contains(uint64_t id) const {
  std::shared_lock lock(s_->mu);
  return s_->slots.count(id) != 0;
}

std::vector<float> ExactIndex::vector(uint64_t id) const {
  std::shared_lock lock(s_->mu);
  auto it = s_->slots.find(id);
  if (it == s_->slots.end()) return {};
  auto first = s_->data.begin() + static_cast<std::ptrdiff_t>(it->second * dims_);
  return {first, first + static_cast<std::ptrdiff_t>(dims_)};
}

size_t ExactIndex::size() const {
  std::shared_lock lock(s_->mu);
  return s_->ids.size();
}

size_t ExactIndex::memory_bytes() const {
  std::shared_lock lock(s_->mu);
  // Hash map: a bucket pointer each, and a node (next pointer + key + value) per entry.
  return s_->data.capacity() * sizeof(float) + s_->ids.capacity() * sizeof(uint64_t) +
         s_->slots.bucket_count() * sizeof(void*) + s_->slots.size() * (sizeof(void*) + 16);
}

Status ExactIndex::save(const std::string& path) const {
  std::shared_lock lock(s_->mu);
  ByteWriter w;
  w.put_bytes(kExactMagic);
  w.put<uint64_t>(dims_);
  w.put<uint64_t>(s_->ids.size());
  w.put_bytes({reinterpret_cast<const char*>(s_->ids.data()), s_->ids.size() * sizeof(uint64_t)});
  w.put_bytes({reinterpret_cast<const char*>(s_->data.data()), s_->data.size() * sizeof(float)});
  return save_with_hash(path, std::move(w).take());
}

StatusOr<std::unique_ptr<ExactIndex>> ExactIndex::load(const std::string& path) {
  auto body = load_with_hash(path, kExactMagic);
  if (!body.ok()) return body.status();
  ByteReader r(*body);
  uint64_t dims = 0, n = 0;
  if (!r.read(dims) || !r.read(n) || dims == 0 || dims > kMaxDimensions ||
      n > body->size() / (sizeof(uint64_t) + dims * sizeof(float)))
    return Status::Invalid(path + ": bad exact index header");
  auto index = std::make_unique<ExactIndex>(dims);
  State& s = *index->s_;
  s.ids.resize(n);
  s.data.resize(n * dims);
  if (!r.read_bytes(s.ids.data(), n * sizeof(uint64_t)) || !r.read_bytes(s.data.data(), n * dims * sizeof(float)) ||
      !r.at_end())
    return Status::Invalid(path + ": exact index length does not match its header");
  for (size_t i = 0; i < n; ++i)
    if (!s.slots.try_emplace(s.ids[i], i).second) return Status::Invalid(path + ": duplicate id in exact index");
  return index;
}

// ===================================== HnswIndex ======================================

struct HnswIndex::State {
  explicit State(size_t dims) : space(dims) {}
  hnswlib::InnerProductSpace space;  // declared first: the graph points into it
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
  // Shared: searches and inserts of new ids. Exclusive: what hnswlib cannot do beside a
  // search (resize, delete, replace, setEf). See the class comment.
  mutable std::shared_mutex mu;
  // The one writer at a time. Only writers touch label_lookup_ and the delete marks, so a
  // writer holding this may read them without the exclusive lock.
  mutable std::mutex writer;
  // glibc's shared_mutex prefers readers: with searches arriving back to back an exclusive
  // locker would wait forever (a test saw a resize stall for 40 s). Exclusive lockers hold
  // `gate` while they wait, and a search passes through `gate` first, so new searches queue
  // behind a waiting writer instead of overtaking it.
  mutable std::mutex gate;
  std::atomic<size_t> live{0};
  // What memory_bytes() reports, kept as inserts and resizes happen so that reading it costs
  // nothing and waits for no lock (/health reads it; walking 1M levels took a millisecond).
  std::atomic<size_t> capacity{0};
  std::atomic<size_t> upper_bytes{0};  // link lists of the layers above the base one
  size_t ef = 0;

  // Counts a node's upper-layer links (hnswlib allocates them per node, by its level).
  void account(hnswlib::tableint c) {
    int level = graph->element_levels_[c];
    if (level > 0) upper_bytes.fetch_add(graph->size_links_per_element_ * static_cast<size_t>(level) + 1);
  }

  std::shared_lock<std::shared_mutex> shared() const {
    { std::lock_guard pass(gate); }
    return std::shared_lock(mu);
  }
  std::unique_lock<std::shared_mutex> exclusive() const {
    std::lock_guard hold(gate);
    return std::unique_lock(mu);
  }

  bool contains_live(uint64_t id) const {
    auto it = graph->label_lookup_.find(id);
    return it != graph->label_lookup_.end() && !graph->isMarkedDeleted(it->second);
  }
  // With `writer` held. Grows by half again (not doubling) to keep slack memory bounded;
  // `exact` (reserve) allocates just what was asked.
  Status ensure_capacity(size_t needed, bool exact = false) {
    if (needed <= graph->max_elements_) return Status::Ok();
    size_t cap = exact ? needed : std::max(needed, graph->max_elements_ + graph->max_elements_ / 2);
    auto lock = exclusive();
    try {
      graph->resizeIndex(cap);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("hnsw resize failed: ") + e.what());
    }
    capacity.store(cap);
    return Status::Ok();
  }
};

HnswIndex::HnswIndex(size_t dimensions, HnswOptions options)
    : dims_(dimensions), options_(options), s_(std::make_unique<State>(dimensions)) {
  s_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      &s_->space, std::max<size_t>(options_.initial_capacity, 1), options_.m, options_.ef_construction,
      options_.seed);
  s_->ef = options_.ef_search;
  s_->graph->setEf(s_->ef);
  s_->capacity.store(s_->graph->max_elements_);
}

HnswIndex::HnswIndex(size_t dimensions, HnswOptions options, std::unique_ptr<State> state)
    : dims_(dimensions), options_(options), s_(std::move(state)) {}

HnswIndex::~HnswIndex() = default;

Status HnswIndex::add(uint64_t id, std::span<const float> vector) {
  std::vector<float> v;
  if (auto st = normalize_into(vector, dims_, v); !st.ok()) return st;
  std::lock_guard writer(s_->writer);
  auto& g = *s_->graph;
  try {
    auto it = g.label_lookup_.find(id);
    if (it != g.label_lookup_.end()) {
      // Replace (or revive a removed id): hnswlib rewrites the vector and its neighbours'
      // lists in place, which a concurrent search must not see half done.
      bool was_deleted = g.isMarkedDeleted(it->second);
      auto lock = s_->exclusive();
      g.addPoint(v.data(), id);
      if (was_deleted) s_->live.fetch_add(1);
      return Status::Ok();
    }
    if (auto st = s_->ensure_capacity(g.cur_element_count + 1); !st.ok()) return st;
    auto lock = s_->shared();
    s_->account(g.addPoint(v.data(), id, -1));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("hnsw insert failed: ") + e.what());
  }
  s_->live.fetch_add(1);
  return Status::Ok();
}

Status HnswIndex::add_batch(std::span<const uint64_t> ids, std::span<const float> rows, size_t threads) {
  if (rows.size() != ids.size() * dims_)
    return Status::Invalid("rows hold " + std::to_string(rows.size()) + " floats, expected " +
                           std::to_string(ids.size() * dims_));
  // Validate everything first: a batch goes in whole or not at all. The workers normalise
  // again row by row rather than keeping a normalised copy (1 GB more at 1M x 256).
  std::vector<float> v;
  for (size_t i = 0; i < ids.size(); ++i)
    if (auto st = normalize_into(rows.subspan(i * dims_, dims_), dims_, v); !st.ok()) return st;
  std::lock_guard writer(s_->writer);
  auto& g = *s_->graph;
  {
    std::unordered_set<uint64_t> seen;
    seen.reserve(ids.size());
    for (uint64_t id : ids)
      if (!seen.insert(id).second || g.label_lookup_.count(id))
        return Status::Invalid("add_batch takes new, distinct ids; id " + std::to_string(id) + " is not");
  }
  if (auto st = s_->ensure_capacity(g.cur_element_count + ids.size()); !st.ok()) return st;
  // hnswlib inserts distinct new labels concurrently (per-node locks); each thread holds the
  // shared side like a single insert does.
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mu;
  auto work = [&] {
    auto lock = s_->shared();
    std::vector<float> unit;
    for (size_t i; !failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < ids.size();) {
      try {
        (void)normalize_into(rows.subspan(i * dims_, dims_), dims_, unit);  // validated above
        s_->account(g.addPoint(unit.data(), ids[i], -1));
        s_->live.fetch_add(1, std::memory_order_relaxed);
      } catch (const std::exception& e) {
        std::lock_guard l(error_mu);
        if (!failed.exchange(true)) error = e.what();
      }
    }
  };
  threads = std::clamp<size_t>(threads, 1, 64);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failed) return Status::Internal("hnsw batch insert failed: " + error);
  return Status::Ok();
}

bool HnswIndex::remove(uint64_t id) {
  std::lock_guard writer(s_->writer);
  if (!s_->contains_live(id)) return false;
  auto lock = s_->exclusive();
  s_->graph->markDelete(id);
  s_->live.fetch_sub(1);
  return true;
}

StatusOr<std::vector<Neighbor>> HnswIndex::search(std::span<const float> query, size_t k,
                                                  float min_similarity) const {
  std::vector<float> q;
  if (auto st = normalize_into(query, dims_, q); !st.ok()) return st;
  std::vector<Neighbor> out;
  if (k == 0) return out;
  auto lock = s_->shared();
  try {
    auto heap = s_->graph->searchKnn(q.data(), k);
    out.reserve(heap.size());
    for (; !heap.empty(); heap.pop()) {
      // InnerProductSpace's distance is 1 - dot; clamp float rounding past +-1.
      float sim = std::clamp(1.0f - heap.top().first, -1.0f, 1.0f);
      out.push_back({static_cast<uint64_t>(heap.top().second), sim});
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("hnsw search failed: ") + e.what());
  }
  order_and_trim(out, k, min_similarity);
  return out;
}

bool HnswIndex::contains(uint64_t id) const {
  std::lock_guard writer(s_->writer);
  return s_->contains_live(id);
}

std::vector<float> HnswIndex::vector(uint64_t id) const {
  std::lock_guard writer(s_->writer);
  auto it = s_->graph->label_lookup_.find(id);
  if (it == s_->graph->label_lookup_.end() || s_->graph->isMarkedDeleted(it->second)) return {};
  const auto* data = reinterpret_cast<const float*>(s_->graph->getDataByInternalId(it->second));
  return {data, data + dims_};
}

size_t HnswIndex::size() const { return s_->live.load(); }

size_t HnswIndex::memory_bytes() const {
  const auto& g = *s_->graph;  // only constants of the graph are read here
  const size_t cap = s_->capacity.load();
  const size_t n = s_->live.load();
  return cap * g.size_data_per_element_  // base layer: links, vector, label
         + cap * (sizeof(char*) + sizeof(int) + sizeof(std::mutex))  // linkLists_, levels, locks
         + cap * sizeof(hnswlib::vl_type)  // one visited list (one more per concurrent search)
         + hnswlib::HierarchicalNSW<float>::max_update_element_locks * sizeof(std::mutex) +
         s_->upper_bytes.load()
         // label_lookup_: about a bucket pointer and a node (next pointer, key, value) per entry.
         + n * (2 * sizeof(void*) + 16);
}

Status HnswIndex::save(const std::string& path) const {
  std::lock_guard writer(s_->writer);  // no insert may run while hnswlib serialises
  auto lock = s_->shared();
  const std::string payload = path + ".hnsw";
  const std::string payload_tmp = payload + ".tmp";
  try {
    s_->graph->saveIndex(payload_tmp);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("hnsw save failed: ") + e.what());
  }
  uint64_t payload_size = 0;
  auto payload_hash = hash_file(payload_tmp, payload_size);
  if (!payload_hash.ok()) return payload_hash.status();
  if (auto st = rename_durably(payload_tmp, payload); !st.ok()) return st;
  // The header is the commit point: written last, it names the payload by size and hash.
  ByteWriter w;
  w.put_bytes(kHnswMagic);
  w.put<uint64_t>(dims_);
  w.put<uint64_t>(options_.m);
  w.put<uint64_t>(options_.ef_construction);
  w.put<uint64_t>(s_->ef);
  w.put<uint64_t>(options_.seed);
  w.put<uint64_t>(s_->live.load());
  w.put<uint64_t>(payload_size);
  w.put_bytes(*payload_hash);
  return save_with_hash(path, std::move(w).take());
}

StatusOr<std::unique_ptr<HnswIndex>> HnswIndex::load(const std::string& path) {
  auto body = load_with_hash(path, kHnswMagic);
  if (!body.ok()) return body.status();
  ByteReader r(*body);
  uint64_t dims = 0, m = 0, efc = 0, ef = 0, seed = 0, live = 0, payload_size = 0;
  std::string want_hash(kHashHexLen, '\0');
  if (!r.read(dims) || !r.read(m) || !r.read(efc) || !r.read(ef) || !r.read(seed) || !r.read(live) ||
      !r.read(payload_size) || !r.read_bytes(want_hash.data(), kHashHexLen) || !r.at_end() || dims == 0 ||
      dims > kMaxDimensions || m < 2 || m > 10000)
    return Status::Invalid(path + ": bad hnsw index header");
  const std::string payload = path + ".hnsw";
  uint64_t size = 0;
  auto hash = hash_file(payload, size);
  if (!hash.ok()) return hash.status();
  if (size != payload_size || *hash != want_hash)
    return Status::Invalid(payload + " is corrupt or does not belong to " + path);

  HnswOptions options;
  options.m = m;
  options.ef_construction = efc;
  options.ef_search = ef;
  options.seed = seed;
  auto state = std::make_unique<State>(dims);
  try {
    state->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&state->space, payload);
  } catch (const std::exception& e) {
    return Status::Invalid(payload + ": hnswlib refused it: " + e.what());
  }
  const auto& g = *state->graph;
  // The hash proves the bytes are ours; these prove they match the header.
  // hnswlib 0.6.2's loading constructor leaves num_deleted_ uninitialised before counting
  // the delete marks into it; recount from the marks.
  state->graph->num_deleted_ = 0;
  for (size_t i = 0; i < g.cur_element_count; ++i)
    if (g.isMarkedDeleted(static_cast<hnswlib::tableint>(i))) ++state->graph->num_deleted_;
  if (g.label_offset_ - g.offsetData_ != dims * sizeof(float) || g.M_ != m ||
      g.cur_element_count - g.num_deleted_ != live)
    return Status::Invalid(payload + " does not match its header");
  state->live = live;
  state->capacity.store(g.max_elements_);
  for (size_t i = 0; i < g.cur_element_count; ++i) state->account(static_cast<hnswlib::tableint>(i));
  state->ef = ef;
  state->graph->setEf(ef);
  options.initial_capacity = g.max_elements_;
  return std::unique_ptr<HnswIndex>(new HnswIndex(dims, options, std::move(state)));
}

Status HnswIndex::reserve(size_t n) {
  std::lock_guard writer(s_->writer);
  return s_->ensure_capacity(n, /*exact=*/true);
}

void HnswIndex::set_ef_search(size_t ef) {
  std::lock_guard writer(s_->writer);
  auto lock = s_->exclusive();
  s_->ef = std::max<size_t>(ef, 1);
  s_->graph->setEf(s_->ef);
}

size_t HnswIndex::ef_search() const {
  auto lock = s_->shared();
  return s_->ef;
}

size_t HnswIndex::capacity() const {
  std::lock_guard writer(s_->writer);
  return s_->graph->max_elements_;
}

}  // namespace agentlearn::index
