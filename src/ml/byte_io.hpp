#pragma once
// Model blobs: core/byte_io.hpp's writer and reader with a header. Every model serializes to a
// byte string that starts with a magic tag and a format version, so a blob of the wrong kind
// or an older layout is refused with a clear error instead of being misread. The header also
// records the byte order (x86-64 and arm64 are both little-endian), and a blob from a
// big-endian machine is refused.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/byte_io.hpp"
#include "core/status.hpp"

namespace agentlearn::ml {

class ByteWriter : public agentlearn::ByteWriter {
 public:
  // Starts a blob: magic (e.g. "AL-D2V"), format version, byte-order mark.
  ByteWriter(std::string_view magic, uint32_t format_version);
};

// Reads what ByteWriter wrote; failures read "<magic> blob: ...".
class ByteReader : public agentlearn::ByteReader {
 public:
  // Checks magic, byte order and that the version is one of [min_version, max_version].
  ByteReader(std::string_view blob, std::string_view magic, uint32_t min_version, uint32_t max_version);

  uint32_t version() const { return version_; }

 private:
  uint32_t version_ = 0;
};

// Blobs sealed with a trailing 64-bit stable_hash64 of their bytes: a flipped bit in a weight,
// which no structural check can see, is refused on load instead of predicting nonsense.
std::string with_checksum(std::string blob);
// The bytes before the checksum, or InvalidArgument "<magic> blob: checksum mismatch ...".
StatusOr<std::string_view> checked_body(std::string_view blob, std::string_view magic);

}  // namespace agentlearn::ml
