#include "store/embedding_store.hpp"

#include "core/hash.hpp"

namespace agentlearn {

const char* to_string(VectorStorage storage) {
  switch (storage) {
    case VectorStorage::kBlob: return "blob";
    case VectorStorage::kPgvector: return "pgvector";
    case VectorStorage::kRealArray: return "real[]";
  }
  return "unknown";
}

uint64_t task_key(std::string_view task_id) {
  // 63 bits: the key is stored in signed 64-bit columns and printed in JSON as a number.
  return hash64(task_id) & 0x7fffffffffffffffull;
}

}  // namespace agentlearn
