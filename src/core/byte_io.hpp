#pragma once
// A little binary writer and a bounds-checked reader, for the files and blobs the service
// writes itself (model blobs in ml/, index files in index/). Values are trivially copyable
// types in little-endian order: the machine's own, which the build checks, so writing is a
// copy of the bytes. Lengths of strings and vectors are uint64 prefixes.
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/status.hpp"

namespace agentlearn {

static_assert(std::endian::native == std::endian::little,
              "byte_io writes the machine's byte order as little-endian");

class ByteWriter {
 public:
  ByteWriter() = default;

  template <typename T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_bytes(std::string_view bytes) { out_.append(bytes); }
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
// failure ok() is false and status() says what was wrong (kInvalidArgument, its message
// starting with `what`), and getters return zeros.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data, std::string what = "data")
      : data_(data), what_(std::move(what)) {}

  template <typename T>
  T get() {
    T v{};
    read(v);
    return v;
  }
  // get() for a chain of checks: false (and v unchanged) once anything failed.
  template <typename T>
  bool read(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return take(&v, sizeof v);
  }
  // The next n bytes into dst.
  bool read_bytes(void* dst, size_t n) { return take(dst, n); }
  std::string get_string();
  template <typename T>
  std::vector<T> get_vector(size_t max_elements = size_t{1} << 32) {
    static_assert(std::is_trivially_copyable_v<T>);
    auto n = get<uint64_t>();
    if (!ok()) return {};
    if (n > max_elements || n > remaining() / (sizeof(T) ? sizeof(T) : 1)) {
      fail("vector length " + std::to_string(n) + " exceeds the " + std::string(noun()));
      return {};
    }
    std::vector<T> v(n);
    take(v.data(), n * sizeof(T));
    return v;
  }
  // True when every byte was consumed and nothing failed.
  bool at_end() const { return ok() && pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Marks the data as invalid (e.g. a value out of range); the first failure wins.
  void fail(std::string why);
  // ok() and at_end(), or the error: the usual last call of a reader.
  Status finish();

 protected:
  // Replaces the status whole, failed or not (a reader that knows better what went wrong).
  void set_status(Status status) { status_ = std::move(status); }

 private:
  bool take(void* dst, size_t n);
  // The last word of `what` ("blob" of "AL-D2V blob"), for messages.
  std::string_view noun() const;

  std::string_view data_;
  std::string what_;
  size_t pos_ = 0;
  Status status_;
};

}  // namespace agentlearn
