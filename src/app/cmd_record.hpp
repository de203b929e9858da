#pragma once
// `agentlearn record`: records one execution, through a server (--url) or straight into a
// store (--db). Also the pieces `agentlearn import` shares with it: reading a server's error
// answer, the exit code it maps to, and the direct store writer.
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/execution.hpp"
#include "core/execution_json.hpp"
#include "core/status.hpp"
#include "http/client.hpp"
#include "store/group_writer.hpp"
#include "store/store.hpp"

namespace agentlearn {

void register_record_command(CLI::App& app);

// Exit codes of the client commands that write executions.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // the server or store failed, or refused us (auth)
inline constexpr int kExitInvalidInput = 2;  // the input was refused: fix it, do not retry

// An error answer of the server, read from its body {"error":{code,message,field,errors}}.
struct ServerError {
  int http_status = 0;
  std::string code;
  std::string message;
  std::string field;
  std::string request_id;
  std::vector<RecordError> errors;  // per-record errors of a batch (invalid_batch, conflict)
};

ServerError read_server_error(const ClientResponse& response);
// One line for a person: the message, the field, the HTTP status and the request id (to
// find the server's log entry).
std::string describe_server_error(const ServerError& error);
// kExitInvalidInput for the answers that blame the input (400, 409, 413, 415, 422),
// kExitFailure for the rest.
int exit_code_for_http_status(int status);
// A Status for a person: its message, and the field to blame when the message does not name it.
std::string describe_status(const Status& status);

// true/false, 1/0, yes/no (any case, surrounding spaces ignored), as --success and CSV
// cells accept them; nullopt for anything else.
std::optional<bool> parse_boolean_text(std::string_view text);

struct ClientOptions;
// The store a client command writes to directly, or nullopt to talk to the server at --url:
// --db when given; else, with --config, the database the spec's rules pick (AGENTLEARN_DB,
// POSTGRES_*, the file's `database`). InvalidArgument when the config file is unusable.
StatusOr<std::optional<std::string>> direct_store_url(const ClientOptions& options);

// Writes executions straight into a store (--db): opens and migrates it, and writes through
// the same GroupWriter the server uses, so duplicates and conflicts are decided the same way.
class DirectWriter {
 public:
  static StatusOr<std::unique_ptr<DirectWriter>> open(std::string_view db_url);
  ~DirectWriter();
  // Writes the records as one request and waits until they are committed (or refused).
  WriteOutcome write(std::vector<Execution> records);
  // The opened store and its writer (for a LearningService working on the store directly).
  Store& store() { return *store_; }
  GroupWriter& group_writer() { return *writer_; }

 private:
  DirectWriter() = default;
  std::unique_ptr<Store> store_;
  std::unique_ptr<GroupWriter> writer_;  // declared after store_: stopped before it closes
};

}  // namespace agentlearn
