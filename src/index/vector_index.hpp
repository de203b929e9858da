#pragma once
// Nearest neighbours by cosine similarity over task embeddings, keyed by 64-bit ids.
//
// One small interface, two implementations: ExactIndex (brute force, the oracle the tests
// and benchmarks measure recall against) and HnswIndex (hnswlib's graph, the one the
// service serves from). Both normalise what they are given, so "similarity" is the cosine
// of the angle whatever the input's length, and both refuse a vector of the wrong length or
// with a NaN or infinity: one bad embedding must not poison every later search.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace agentlearn::index {

struct Neighbor {
  uint64_t id = 0;
  float similarity = 0;  // cosine, in [-1, 1]
  bool operator==(const Neighbor&) const = default;
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  // Adds the vector under `id`, replacing the vector an existing id had.
  virtual Status add(uint64_t id, std::span<const float> vector) = 0;
  // Removes `id`; false when it was not there.
  virtual bool remove(uint64_t id) = 0;
  // Up to k neighbours with similarity >= min_similarity, most similar first (ties: lower
  // id first). Safe to call from many threads at once, also while one thread adds.
  virtual StatusOr<std::vector<Neighbor>> search(std::span<const float> query, size_t k,
                                                 float min_similarity = -1.0f) const = 0;
  // Whether `id` is searchable now.
  virtual bool contains(uint64_t id) const = 0;
  // The unit-length vector stored for `id`; empty when it is not searchable.
  virtual std::vector<float> vector(uint64_t id) const = 0;
  // Ids currently searchable.
  virtual size_t size() const = 0;
  virtual size_t dimensions() const = 0;
  // Bytes the index holds (allocated capacity, not just what is in use).
  virtual size_t memory_bytes() const = 0;
  // Writes the index so that load() gives one that answers every search identically.
  virtual Status save(const std::string& path) const = 0;
};

// Checks length and finiteness and scales to unit length (a zero vector is refused too:
// it has no direction). Exposed for callers that want to validate before queueing.
Status normalize_into(std::span<const float> in, size_t dimensions, std::vector<float>& out);

// Brute force: every search reads every vector. Exact, so it is the oracle; fast enough on
// its own below some ten thousand vectors.
class ExactIndex final : public VectorIndex {
 public:
  explicit ExactIndex(size_t dimensions);
  ~ExactIndex() override;
  ExactIndex(const ExactIndex&) = delete;
  ExactIndex& operator=(const ExactIndex&) = delete;

  Status add(uint64_t id, std::span<const float> vector) override;
  bool remove(uint64_t id) override;
  StatusOr<std::vector<Neighbor>> search(std::span<const float> query, size_t k,
                                         float min_similarity = -1.0f) const override;
  bool contains(uint64_t id) const override;
  std::vector<float> vector(uint64_t id) const override;
  size_t size() const override;
  size_t dimensions() const override { return dims_; }
  size_t memory_bytes() const override;
  Status save(const std::string& path) const override;
  static StatusOr<std::unique_ptr<ExactIndex>> load(const std::string& path);

 private:
  struct State;
  size_t dims_;
  std::unique_ptr<State> s_;
};

struct HnswOptions {
  size_t m = 16;                 // graph degree (2m on the base layer)
  size_t ef_construction = 200;  // candidate list while inserting: graph quality
  // Candidate list while searching: the recall / latency knob. 64 reaches recall@10 >= 0.95
  // on 1M clustered 256-d vectors (bench/vector_index_bench.cpp); raise it for harder data.
  size_t ef_search = 64;
  size_t initial_capacity = 1024;  // grows by half again whenever it is full
  uint64_t seed = 100;             // level generator: same inserts, same graph
};

// hnswlib's HNSW graph on its inner-product space over unit vectors (distance 1 - cosine).
//
// Threads: any number of searches may run with one writer (add/remove/reserve/set_ef_search
// serialise among themselves). hnswlib 0.6 supports addPoint of a new label concurrently
// with searchKnn (searches read neighbour lists without the node locks inserts take; a
// search racing an insert may miss the newest point, nothing worse). What it does not
// support concurrently with a search is resizeIndex (it reallocates the arrays a search is
// reading), markDelete and re-adding an existing label (they flip the delete mark and the
// deleted count, and rewrite a stored vector and its neighbours in place), and setEf (a
// plain member). Those take the exclusive side of a shared_mutex; searches and inserts of
// new ids take the shared side, so ingest does not stall serving.
class HnswIndex final : public VectorIndex {
 public:
  explicit HnswIndex(size_t dimensions, HnswOptions options = {});
  ~HnswIndex() override;
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  Status add(uint64_t id, std::span<const float> vector) override;
  // Bulk build (a rebuild from the store): rows is ids.size() x dimensions, row-major.
  // Ids must be new and distinct. Inserts on `threads` threads; searches may run meanwhile.
  Status add_batch(std::span<const uint64_t> ids, std::span<const float> rows, size_t threads = 1);
  // Deletion only marks the node (hnswlib keeps it as a waypoint for the graph); its memory
  // stays until the index is rebuilt, and re-adding the id revives the slot.
  bool remove(uint64_t id) override;
  StatusOr<std::vector<Neighbor>> search(std::span<const float> query, size_t k,
                                         float min_similarity = -1.0f) const override;
  bool contains(uint64_t id) const override;
  // Waits for an insert in progress (it reads hnswlib's label map, which inserts rehash).
  std::vector<float> vector(uint64_t id) const override;
  size_t size() const override;
  size_t dimensions() const override { return dims_; }
  size_t memory_bytes() const override;
  // Two files: `path` (a small header: sizes, parameters and a hash of the graph, written
  // last) and `path.hnsw` (hnswlib's own saveIndex format). load() checks the hash before
  // hnswlib reads a byte, because hnswlib trusts what it reads (a corrupt neighbour id
  // would be read as an offset into memory).
  Status save(const std::string& path) const override;
  static StatusOr<std::unique_ptr<HnswIndex>> load(const std::string& path);

  // Ensures room for `n` vectors without a resize (a rebuild knows its count).
  Status reserve(size_t n);
  void set_ef_search(size_t ef);
  size_t ef_search() const;
  size_t capacity() const;
  const HnswOptions& options() const { return options_; }

 private:
  struct State;
  HnswIndex(size_t dimensions, HnswOptions options, std::unique_ptr<State> state);
  size_t dims_;
  HnswOptions options_;
  std::unique_ptr<State> s_;
};

}  // namespace agentlearn::index
