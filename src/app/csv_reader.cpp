#include "app/csv_reader.hpp"

#include <fmt/format.h>

#include <cstring>

namespace agentlearn {

namespace {
constexpr size_t kChunkBytes = 64 * 1024;
}

CsvReader::CsvReader(std::istream& in, CsvOptions options) : in_(in), options_(options), buf_(kChunkBytes) {}

bool CsvReader::fill() {
  if (eof_) return false;
  in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  end_ = static_cast<size_t>(in_.gcount());
  pos_ = 0;
  bytes_read_ += end_;
  if (end_ == 0) eof_ = true;
  return end_ > 0;
}

int CsvReader::peek() {
  if (pos_ == end_ && !fill()) return kEof;
  return static_cast<unsigned char>(buf_[pos_]);
}

int CsvReader::get() {
  if (pos_ == end_ && !fill()) return kEof;
  return static_cast<unsigned char>(buf_[pos_++]);
}

void CsvReader::consume_line_end() {
  int c = get();
  if (c == '\r' && peek() == '\n') get();
  ++line_;
}

void CsvReader::skip_rest_of_line() {
  for (int c = peek(); c != kEof && c != '\n' && c != '\r'; c = peek()) get();
  if (peek() != kEof) consume_line_end();
}

Status CsvReader::fail(size_t line, std::string message) {
  error_ = {line, std::move(message)};
  return Status::Invalid(fmt::format("line {}: {}", line, error_.message));
}

StatusOr<bool> CsvReader::next(std::vector<std::string>& fields) {
  fields.clear();
  if (finished_) return false;
  if (!started_) {
    started_ = true;
    // A UTF-8 byte order mark, as spreadsheet programs write it, is not part of the header.
    // The first chunk holds at least 3 bytes unless the input is shorter (istream::read
    // fills the buffer up to the end of the input).
    if (peek() != kEof && end_ - pos_ >= 3 && std::memcmp(buf_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) pos_ += 3;
  }
  // Empty lines between records carry nothing; a trailing line end must not make a record.
  for (;;) {
    int c = peek();
    if (c == kEof) return false;
    if (c != '\n' && c != '\r') break;
    consume_line_end();
  }
  record_line_ = line_;
  size_t record_bytes = 0;
  std::string field;
  for (;;) {
    field.clear();
    int c = peek();
    if (c == '"') {
      get();
      for (;;) {
        c = get();
        if (c == kEof) {
          finished_ = true;
          return fail(record_line_, fmt::format("a quoted field that starts on line {} is never closed", record_line_));
        }
        if (c == '"') {
          if (peek() != '"') break;
          get();
        } else if (c == '\n' || (c == '\r' && peek() != '\n')) {
          ++line_;
        }
        field.push_back(static_cast<char>(c));
        if (++record_bytes > options_.max_record_bytes) {
          finished_ = true;
          return fail(record_line_, fmt::format("the record is larger than {} bytes (is a quote never closed?)",
                                                options_.max_record_bytes));
        }
      }
      c = peek();
      if (c != ',' && c != '\n' && c != '\r' && c != kEof) {
        size_t at = line_;
        skip_rest_of_line();
        return fail(record_line_,
                    fmt::format("field {} continues after its closing quote on line {} (a quote inside a quoted "
                                "field must be doubled: \"\")",
                                fields.size() + 1, at));
      }
    } else {
      // Unquoted: copy up to the next delimiter in one go.
      for (;;) {
        if (pos_ == end_ && !fill()) break;
        const char* start = buf_.data() + pos_;
        size_t n = end_ - pos_;
        size_t k = 0;
        while (k < n && start[k] != ',' && start[k] != '\n' && start[k] != '\r') ++k;
        field.append(start, k);
        pos_ += k;
        record_bytes += k;
        if (record_bytes > options_.max_record_bytes) {
          finished_ = true;
          return fail(record_line_, fmt::format("the record is larger than {} bytes", options_.max_record_bytes));
        }
        if (k < n) break;
      }
    }
    fields.push_back(std::move(field));
    c = peek();
    if (c == ',') {
      get();
      continue;
    }
    if (c != kEof) consume_line_end();
    break;
  }
  if (options_.require_same_width) {
    if (width_ == 0) {
      width_ = fields.size();
    } else if (fields.size() != width_) {
      return fail(record_line_, fmt::format("expected {} fields, as in the first row, but found {}", width_,
                                            fields.size()));
    }
  }
  return true;
}

}  // namespace agentlearn
