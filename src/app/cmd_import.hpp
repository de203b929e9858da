#pragma once
// `agentlearn import FILE`: loads executions from JSONL (one JSON object per line) or CSV
// (columns name fields and context.NAME / metrics.NAME members) into a server (--url) or a
// store (--db). Streams the file, validates each record as the server would, reports the
// refused ones with their line numbers, and sends the rest in batches.
#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace agentlearn {

void register_import_command(CLI::App& app);

// How one CSV record becomes the JSON of an execution. Exposed for the unit tests.
class CsvRecordMapper {
 public:
  // Reads the header. InvalidArgument for an unknown, empty or repeated column name.
  static StatusOr<CsvRecordMapper> from_header(const std::vector<std::string>& header);
  // The execution's JSON for one row (as many cells as the header). Empty cells are absent
  // members; `success` takes true/false/1/0/yes/no; `execution_time` a number;
  // context.NAME / metrics.NAME cells become numbers when they parse as finite numbers,
  // booleans for true/false, strings otherwise. InvalidArgument names the field to blame.
  StatusOr<std::string> to_json(const std::vector<std::string>& row) const;

 private:
  enum class Kind { kString, kNumber, kBool, kContextMember, kMetricsMember, kContextObject, kMetricsObject };
  struct Column {
    Kind kind;
    std::string name;  // the field, or the member name inside context/metrics
  };
  std::vector<Column> columns_;
};

}  // namespace agentlearn
