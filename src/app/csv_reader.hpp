#pragma once
// A streaming RFC 4180 CSV reader for `agentlearn import`: quoted fields with embedded
// commas, doubled quotes and line breaks; CRLF, LF (and lone CR) line ends; a UTF-8 byte
// order mark at the start. It reads the stream in chunks and holds one record at a time, so
// a file of any size imports in constant memory.
//
// Lenient where spreadsheets are (documented in docs): a quote inside an unquoted field is
// kept as a character, and empty lines between records are skipped. Strict where a silent
// guess would corrupt data: a field that continues after its closing quote, a quote that is
// never closed, and a record with another number of fields than the first are errors.
#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace agentlearn {

struct CsvOptions {
  // Every record must have as many fields as the first one (the header).
  bool require_same_width = true;
  // A record larger than this is an error that ends the reading: it almost always means a
  // quote was opened and never closed, and reading on would swallow the rest of the file.
  size_t max_record_bytes = 16u << 20;
};

struct CsvError {
  size_t line = 0;      // the line on which the bad record starts (1-based)
  std::string message;  // what is wrong, without the line number
};

class CsvReader {
 public:
  explicit CsvReader(std::istream& in, CsvOptions options = {});

  // Reads the next record into `fields`. Returns true for a record and false at the end of
  // the input. A malformed record gives InvalidArgument ("line 7: ..."), details in
  // last_error(); the reader has moved past that record, so the caller may read on (after
  // a quote that is never closed there is nothing left to read, and next() returns false).
  StatusOr<bool> next(std::vector<std::string>& fields);

  // The line on which the record last returned (or refused) starts.
  size_t record_line() const { return record_line_; }
  // The line the reader is on now: lines read so far, for progress reports.
  size_t current_line() const { return line_; }
  uint64_t bytes_read() const { return bytes_read_; }
  const CsvError& last_error() const { return error_; }

 private:
  static constexpr int kEof = -1;
  int peek();
  int get();
  bool fill();
  // Consumes a line end at the cursor (CRLF, LF or CR), counting the line.
  void consume_line_end();
  void skip_rest_of_line();
  Status fail(size_t line, std::string message);

  std::istream& in_;
  CsvOptions options_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool started_ = false;
  bool finished_ = false;  // after an error that leaves nothing sensible to read
  size_t line_ = 1;
  size_t record_line_ = 0;
  size_t width_ = 0;  // the first record's number of fields
  uint64_t bytes_read_ = 0;
  CsvError error_;
};

}  // namespace agentlearn
