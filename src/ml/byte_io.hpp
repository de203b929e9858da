#pragma once
// Little binary writer and reader for model serialization. Every model serializes to a
// byte string that starts with a magic tag and a format version, so a blob of the wrong
// kind or an older layout is refused with a clear error instead of being misread.
// Values are written in the machine's byte order (x86-64 and arm64 are both little-endian;
// the header records it, and a blob from a big-endian machine is refused).
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/status.hpp"

namespace agentlearn::ml {

class ByteWriter {
 public:
  // Starts a blob: magic (e.g. "AL-D2V"), format version, byte-order mark.
  ByteWriter(std::string_view magic, uint32_t format_version);

  template <typename T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_string(std::string_view s);
  template <typename T>
  void put_vector(std::span<const T> v) {
    static_assert(std::is_trivially_copyable_v<T>);
    put<uint64_t>(v.size());
    out_.append(reinterpret_cast<const char*>(v.data()), v.size_bytes());
  }
  template <typename T>
  void put_vector(const std::vector<T>& v) { put_vector(std::span<const T>(v)); }

  std::string take() && { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what ByteWriter wrote. Every getter checks the remaining length; after the first
// failure ok() is false and status() says what was wrong, and getters return zeros.
class ByteReader {
 public:
  // Checks magic, byte order and that the version is one of [min_version, max_version].
  ByteReader(std::string_view blob, std::string_view magic, uint32_t min_version, uint32_t max_version);

  uint32_t version() const { return version_; }
  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    if (!take(&v, sizeof v)) return T{};
    return v;
  }
  std::string get_string();
  template <typename T>
  std::vector<T> get_vector(size_t max_elements = size_t{1} << 32) {
    static_assert(std::is_trivially_copyable_v<T>);
    auto n = get<uint64_t>();
    if (!ok()) return {};
    if (n > max_elements || n > remaining() / (sizeof(T) ? sizeof(T) : 1)) {
      fail("vector length " + std::to_string(n) + " exceeds the blob");
      return {};
    }
    std::vector<T> v(n);
    take(v.data(), n * sizeof(T));
    return v;
  }
  // True when every byte was consumed and nothing failed.
  bool at_end() const { return ok() && pos_ == blob_.size(); }
  size_t remaining() const { return blob_.size() - pos_; }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Marks the blob as invalid (e.g. a value out of range); the first failure wins.
  void fail(std::string why);
  // ok() and at_end(), or the error: the usual last call of a deserializer.
  Status finish();

 private:
  bool take(void* dst, size_t n);

  std::string_view blob_;
  std::string magic_;
  size_t pos_ = 0;
  uint32_t version_ = 0;
  Status status_;
};

}  // namespace agentlearn::ml
