#include "core/byte_io.hpp"

namespace agentlearn {

void ByteWriter::put_string(std::string_view s) {
  put<uint64_t>(s.size());
  out_.append(s.data(), s.size());
}

std::string ByteReader::get_string() {
  auto n = get<uint64_t>();
  if (!ok()) return {};
  if (n > remaining()) {
    fail("string length " + std::to_string(n) + " exceeds the " + std::string(noun()));
    return {};
  }
  std::string s(data_.substr(pos_, n));
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
  std::memcpy(dst, data_.data() + pos_, n);
  pos_ += n;
  return true;
}

void ByteReader::fail(std::string why) {
  if (ok()) status_ = Status::Invalid(what_ + ": " + why);
}

Status ByteReader::finish() {
  if (ok() && pos_ != data_.size()) fail(std::to_string(remaining()) + " trailing bytes");
  return status_;
}

std::string_view ByteReader::noun() const {
  std::string_view w = what_;
  size_t space = w.rfind(' ');
  return space == std::string_view::npos ? w : w.substr(space + 1);
}

}  // namespace agentlearn
