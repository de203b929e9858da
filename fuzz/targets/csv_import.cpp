// `agentlearn import`'s CSV reader over any bytes: records or clean errors, and the reader
// always reaches the end (no loop that stops consuming input).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "app/csv_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  agentlearn::CsvOptions options;
  options.max_record_bytes = 4096;
  agentlearn::CsvReader reader(in, options);
  std::vector<std::string> fields;
  // Every call consumes at least one byte or ends the input, so size + 2 calls must reach it.
  for (size_t calls = 0; calls < size + 2; ++calls) {
    auto more = reader.next(fields);
    if (more.ok() && !*more) return 0;
  }
  __builtin_trap();
}
