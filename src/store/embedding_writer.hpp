#pragma once
// What a group writer's connection may offer beside StoreWriter: storing the embedder's
// vectors inside the open transaction, so they ride in the ingest's group commits instead of
// committing (and fsyncing) apart. A backend's StoreWriter hands it out from embeddings()
// where it can (SQLite).
#include <span>

#include "core/status.hpp"
#include "store/embedding_store.hpp"

namespace agentlearn {

class EmbeddingWriter {
 public:
  virtual ~EmbeddingWriter() = default;
  // Inserts or replaces each execution's embedding (as EmbeddingStore::save_embeddings),
  // inside the transaction StoreWriter::begin() opened.
  virtual Status save_embeddings(std::span<const EmbeddingRecord> rows) = 0;
};

}  // namespace agentlearn
