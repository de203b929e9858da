#include "ml/byte_io.hpp"

#include <cstring>

#include "core/hash.hpp"

namespace agentlearn::ml {

namespace {
constexpr uint32_t kByteOrderMark = 0x01020304;
}

ByteWriter::ByteWriter(std::string_view magic, uint32_t format_version) {
  put_string(magic);
  put<uint32_t>(format_version);
  put<uint32_t>(kByteOrderMark);
}

ByteReader::ByteReader(std::string_view blob, std::string_view magic, uint32_t min_version, uint32_t max_version)
    : agentlearn::ByteReader(blob, (magic.empty() ? std::string("model") : std::string(magic)) + " blob") {
  std::string m = get_string();
  if (!ok() || m != magic) {
    // Whatever failed on the way, the answer is that this is not such a blob.
    set_status(Status::Invalid("not a " + std::string(magic) + " model blob"));
    return;
  }
  version_ = get<uint32_t>();
  uint32_t bom = get<uint32_t>();
  if (!ok()) return;
  if (bom != kByteOrderMark) {
    fail("written on a machine of another byte order");
    return;
  }
  if (version_ < min_version || version_ > max_version) {
    fail("format version " + std::to_string(version_) + " is not supported (expected " +
         std::to_string(min_version) + ".." + std::to_string(max_version) + ")");
  }
}

std::string with_checksum(std::string blob) {
  const uint64_t sum = stable_hash64(blob);
  blob.append(reinterpret_cast<const char*>(&sum), sizeof sum);
  return blob;
}

StatusOr<std::string_view> checked_body(std::string_view blob, std::string_view magic) {
  if (blob.size() < sizeof(uint64_t)) return Status::Invalid(std::string(magic) + " blob: too short");
  std::string_view body = blob.substr(0, blob.size() - sizeof(uint64_t));
  uint64_t sum = 0;
  std::memcpy(&sum, blob.data() + body.size(), sizeof sum);
  if (sum != stable_hash64(body)) {
    return Status::Invalid(std::string(magic) + " blob: checksum mismatch (corrupted or truncated)");
  }
  return body;
}

}  // namespace agentlearn::ml
