#pragma once
// Where `agentlearn import` reads its records: JSON Lines or CSV, streamed, each record with
// the line it starts on and its JSON, or why it cannot be one.
#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>

#include "core/status.hpp"

namespace agentlearn::importing {

struct SourceItem {
  size_t line = 0;
  std::string json;
  Status error;  // not ok: the record is rejected without being parsed
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // False at the end of the input.
  virtual bool next(SourceItem& item) = 0;
  virtual size_t lines_read() const = 0;
  virtual uint64_t bytes_read() const = 0;
};

// JSON Lines, one line in memory at a time however large the file; blank lines are skipped.
std::unique_ptr<RecordSource> jsonl_source(std::istream& in);
// CSV: reads the header first; InvalidArgument (with the line) when there is none or it is
// bad. A ragged or badly typed row is one rejected record, not the end of the import.
StatusOr<std::unique_ptr<RecordSource>> csv_source(std::istream& in);

}  // namespace agentlearn::importing
