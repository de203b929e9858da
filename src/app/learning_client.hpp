#pragma once
// What the learning commands (recommend, train, status) share: the two places they work
// (a server at --url, or a store opened in this process with --db / --config), how an answer
// becomes an exit code, and the plain-text tables they print. Both modes produce the JSON
// object the server answers; the readable output is drawn from that object, so it is the
// same whichever mode made it.
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/client_options.hpp"
#include "app/cmd_record.hpp"
#include "core/status.hpp"
#include "http/client.hpp"
#include "metrics/registry.hpp"
#include "service/learning_service.hpp"

namespace agentlearn {

// The LearningService the server runs, over a store opened in this process (store mode):
// migrated like `import --db` does, with the config's `learning` keys and `models.*`
// parameters, and without the server's trainer thread or recommendation log.
class DirectLearning {
 public:
  // `config_file` may be empty (the defaults).
  static StatusOr<std::unique_ptr<DirectLearning>> open(const std::string& db_url, const std::string& config_file);
  ~DirectLearning();
  LearningService& service() { return *service_; }

 private:
  DirectLearning() = default;
  std::unique_ptr<DirectWriter> store_;
  metrics::Registry registry_;
  std::unique_ptr<LearningService> service_;  // declared last: stopped before the store closes
};

// Where a learning command works, from its client options: the store to open, or nullopt
// for the server at --url (and AGENTLEARN_TOKEN read). When the config file is unusable,
// prints why and sets `exit_code`.
struct Target {
  std::optional<std::string> db;  // store mode
  int exit_code = kExitOk;        // not kExitOk: stop with it
};
Target resolve_target(ClientOptions& options);

// Opens store mode for the command, or prints why it could not and returns null with
// `exit_code` set.
std::unique_ptr<DirectLearning> open_direct_learning(const std::string& db_url, const ClientOptions& options,
                                                     int& exit_code);

// The answer of the server to one request of a learning command.
struct ServerReply {
  int exit_code = kExitOk;  // kExitOk: `body` holds a 2xx answer; else the error was printed
  int http_status = 0;  // 0: no answer came
  std::string body;
  std::string error;  // what was printed, when exit_code is not kExitOk
};
// Sends one request; an unreachable server, a timeout and every non-2xx answer are printed to
// stderr as "error: ..." with their exit code (see learning_exit_code_for_http_status).
ServerReply call_server(const ClientOptions& options, boost::beast::http::verb method, std::string_view target,
                        std::string_view body = {}, HttpClientOptions http_options = {});

// 400, 413, 415 and 422 blame the input (kExitInvalidInput); everything else, 409 included (a
// training run already going, no agents known yet), is kExitFailure.
int learning_exit_code_for_http_status(int status);
// kExitInvalidInput for InvalidArgument, kExitFailure for the rest.
int exit_code_for_status(const Status& status);
// Prints a failed Status as "error: ..." and returns its exit code.
int report_failure(const Status& status);

// "error: MESSAGE" on stderr.
void print_error(const std::string& message);
// Prints a JSON answer as one line (the server's bytes as they came, in server mode).
void print_json_line(std::string_view body);
// Parses a 2xx body; prints an error and returns a discarded value when it is not an object.
nlohmann::json parse_answer(const ServerReply& reply);

using ReadablePrinter = std::function<void(const nlohmann::json&)>;
// Server mode's end: a failed reply's exit code (already printed); else the answer as it came
// with --json, or read and printed by `readable`.
int print_server_answer(const ServerReply& reply, bool as_json, const ReadablePrinter& readable);
// Store mode's end: the object with --json (the bytes the server would send), else `readable`.
int print_answer_object(const nlohmann::json& answer, bool as_json, const ReadablePrinter& readable);

// A plain-text table: left-aligned columns as wide as their widest cell.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render(std::string_view indent = "") const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Cells: a number with `digits` decimals ("-" for null or a non-number), a string member
// ("-" when absent or null), and a metrics object as "name value, name value".
std::string number_cell(const nlohmann::json& value, int digits = 3);
std::string text_cell(const nlohmann::json& object, const char* key);
std::string metrics_cell(const nlohmann::json& metrics);

}  // namespace agentlearn
