# The parsers of untrusted input (request heads, JSON and NDJSON bodies, imported JSONL and
# CSV, timestamps): a small library with no dependency beyond simdjson, nlohmann_json and fmt,
# so that both the project's GCC build and the libFuzzer build in fuzz/ (clang, whose
# sanitizer runtimes cannot link GCC's) compile the same files.
cmake_path(SET _agentlearn_src NORMALIZE "${CMAKE_CURRENT_LIST_DIR}/../src")
set(AGENTLEARN_PARSER_SOURCES
  ${_agentlearn_src}/app/csv_reader.cpp
  ${_agentlearn_src}/core/bounded_json.cpp
  ${_agentlearn_src}/core/execution_json.cpp
  ${_agentlearn_src}/core/hash.cpp
  ${_agentlearn_src}/core/json_writer.cpp
  ${_agentlearn_src}/core/time.cpp
  ${_agentlearn_src}/http/query.cpp
  ${_agentlearn_src}/http/request_head.cpp)
set(AGENTLEARN_SOURCE_ROOT ${_agentlearn_src})
