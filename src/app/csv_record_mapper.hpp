#pragma once
// One CSV record to the JSON of one execution, by the columns its header names: fields,
// context.NAME / metrics.NAME members, or whole context / metrics objects.
#include <string>
#include <vector>

#include "core/status.hpp"

namespace agentlearn {

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
