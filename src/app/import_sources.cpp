#include "app/import_sources.hpp"

#include <fmt/format.h>

#include <cstring>
#include <utility>
#include <vector>

#include "app/csv_reader.hpp"
#include "app/csv_record_mapper.hpp"
#include "core/text.hpp"

namespace agentlearn::importing {
namespace {

// JSON Lines, read in chunks: one line in memory at a time, however large the file.
class JsonlSource : public RecordSource {
 public:
  explicit JsonlSource(std::istream& in) : in_(in), buf_(64 * 1024) {}

  bool next(SourceItem& item) override {
    std::string line;
    for (;;) {
      bool too_long = false;
      if (!read_line(line, too_long)) return false;
      item.line = line_;
      item.error = Status::Ok();
      if (too_long) {
        item.json.clear();
        item.error = Status::Invalid(fmt::format("the line is longer than {} bytes", kMaxLineBytes));
        return true;
      }
      if (line_ == 1 && line.size() >= 3 && std::memcmp(line.data(), "\xEF\xBB\xBF", 3) == 0) line.erase(0, 3);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (trim(line).empty()) continue;  // blank lines separate nothing and are no record
      item.json = std::move(line);
      return true;
    }
  }
  size_t lines_read() const override { return line_; }
  uint64_t bytes_read() const override { return bytes_; }

 private:
  // Beyond the server's whole-batch limit no single record can be sent anyway.
  static constexpr size_t kMaxLineBytes = 16u << 20;

  bool read_line(std::string& line, bool& too_long) {
    line.clear();
    bool any = false;
    for (;;) {
      if (pos_ == end_) {
        if (eof_) break;
        in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
        end_ = static_cast<size_t>(in_.gcount());
        pos_ = 0;
        bytes_ += end_;
        if (end_ == 0) {
          eof_ = true;
          break;
        }
      }
      any = true;
      const char* start = buf_.data() + pos_;
      const void* nl = std::memchr(start, '\n', end_ - pos_);
      size_t n = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : end_ - pos_;
      if (!too_long) {
        if (line.size() + n > kMaxLineBytes) {
          too_long = true;
          line.clear();
        } else {
          line.append(start, n);
        }
      }
      pos_ += n;
      if (nl) {
        ++pos_;
        break;
      }
    }
    if (!any) return false;
    ++line_;
    return true;
  }

  std::istream& in_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  size_t line_ = 0;
  uint64_t bytes_ = 0;
};

class CsvSource : public RecordSource {
 public:
  CsvSource(CsvRecordMapper mapper, CsvReader reader) : reader_(std::move(reader)), mapper_(std::move(mapper)) {}

  // Reads the header; InvalidArgument (with the line) when there is none or it is bad.
  static StatusOr<std::unique_ptr<CsvSource>> open(std::istream& in) {
    // Ragged rows are checked against the header by the mapper, per record, so one bad row
    // is one rejected record, with its line, not the end of the import.
    CsvOptions options;
    options.require_same_width = false;
    CsvReader reader(in, options);
    std::vector<std::string> header;
    auto got = reader.next(header);
    if (!got.ok()) return got.status();
    if (!*got) return Status::Invalid("the CSV file is empty: it needs a header row naming the columns");
    auto mapper = CsvRecordMapper::from_header(header);
    if (!mapper.ok()) return Status::Invalid(fmt::format("line {}: {}", reader.record_line(), mapper.status().message()));
    return std::make_unique<CsvSource>(std::move(mapper).value(), std::move(reader));
  }

  bool next(SourceItem& item) override {
    auto got = reader_.next(row_);
    if (!got.ok()) {
      item.line = reader_.last_error().line;
      item.json.clear();
      item.error = Status::Invalid(reader_.last_error().message);
      return true;
    }
    if (!*got) return false;
    item.line = reader_.record_line();
    auto json = mapper_.to_json(row_);
    if (json.ok()) {
      item.json = std::move(json).value();
      item.error = Status::Ok();
    } else {
      item.json.clear();
      item.error = json.status();
    }
    return true;
  }
  size_t lines_read() const override { return reader_.current_line() - 1; }
  uint64_t bytes_read() const override { return reader_.bytes_read(); }

 private:
  CsvReader reader_;
  CsvRecordMapper mapper_;
  std::vector<std::string> row_;
};

}  // namespace

std::unique_ptr<RecordSource> jsonl_source(std::istream& in) { return std::make_unique<JsonlSource>(in); }

StatusOr<std::unique_ptr<RecordSource>> csv_source(std::istream& in) {
  auto source = CsvSource::open(in);
  if (!source.ok()) return source.status();
  return std::unique_ptr<RecordSource>(std::move(source).value());
}

}  // namespace agentlearn::importing
