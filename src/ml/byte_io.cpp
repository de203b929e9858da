#include "ml/byte_io.hpp"

namespace agentlearn::ml {

namespace {
constexpr uint32_t kByteOrderMark = 0x01020304;
}

ByteWriter::ByteWriter(std::string_view magic, uint32_t format_version) {
  put_string(magic);
  put<uint32_t>(format_version);
  put<uint32_t>(kByteOrderMark);
}

void ByteWriter::put_string(std::string_view s) {
  put<uint64_t>(s.size());
  out_.append(s.data(), s.size());
}

ByteReader::ByteReader(std::string_view blob, std::string_view magic, uint32_t min_version, uint32_t max_version)
    : blob_(blob), magic_(magic) {
  std::string m = get_string();
  if (!ok() || m != magic) {
    status_ = Status::Invalid("not a " + std::string(magic) + " model blob");
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

std::string ByteReader::get_string() {
  auto n = get<uint64_t>();
  if (!ok()) return {};
  if (n > remaining()) {
    fail("string length " + std::to_string(n) + " exceeds the blob");
    return {};
  }
  std::string s(blob_.substr(pos_, n));
  pos_ += n;
  return s;
}

bool ByteReader::take(void* dst, size_t n) {
  if (!ok()) return false;
  if (n == 0) return true;  // an empty vector's data() may be null: memcpy must not see it
  if (n > remaining()) {
    fail("truncated");
    return false;
  }
  std::memcpy(dst, blob_.data() + pos_, n);
  pos_ += n;
  return true;
}

void ByteReader::fail(std::string why) {
  if (ok()) status_ = Status::Invalid((magic_.empty() ? std::string("model") : magic_) + " blob: " + why);
}

Status ByteReader::finish() {
  if (ok() && pos_ != blob_.size()) fail(std::to_string(remaining()) + " trailing bytes");
  return status_;
}

}  // namespace agentlearn::ml
